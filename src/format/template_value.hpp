// A value during template execution. Values from the input data are
// borrowed (rendering `ps` must not copy every row); computed values own
// their JSON. "Missing" is Go's invalid value: a map key that is not there.
#pragma once

#include <string>
#include <utility>

#include "util/json.hpp"

namespace skiff::format::tmpl {

class Value {
public:
    Value() = default;  // missing

    static Value borrow(const Json& j) {
        Value v;
        v.kind_ = Kind::Borrowed;
        v.ref_ = &j;
        return v;
    }
    static Value own(Json j) {
        Value v;
        v.kind_ = Kind::Owned;
        v.own_ = std::move(j);
        return v;
    }
    // The dot of a header rendering: fields print column headers.
    static Value header_dot() {
        Value v;
        v.kind_ = Kind::HeaderDot;
        return v;
    }

    bool missing() const { return kind_ == Kind::Missing; }
    bool is_header_dot() const { return kind_ == Kind::HeaderDot; }
    // Go's nil: a missing key or a JSON null.
    bool nil() const { return kind_ == Kind::Missing || kind_ == Kind::HeaderDot || json().is_null(); }

    const Json& json() const {
        static const Json null_json;
        switch (kind_) {
            case Kind::Borrowed: return *ref_;
            case Kind::Owned: return own_;
            default: return null_json;
        }
    }
    // For function arguments: nullptr stands for nil.
    const Json* ptr() const { return nil() ? nullptr : &json(); }

    // A part of this value. A part of an owned value must be copied, since
    // the owner is usually a temporary.
    Value child(const Json& part) const { return kind_ == Kind::Owned ? own(part) : borrow(part); }

private:
    enum class Kind { Missing, Borrowed, Owned, HeaderDot };
    Kind kind_ = Kind::Missing;
    const Json* ref_ = nullptr;
    Json own_;
};

// Go's truth: false, 0, "", nil and empty collections are false.
inline bool truth(const Value& v) {
    if (v.nil()) return false;
    const Json& j = v.json();
    switch (j.type()) {
        case Json::value_t::boolean: return j.get<bool>();
        case Json::value_t::string: return !j.get_ref<const std::string&>().empty();
        case Json::value_t::array:
        case Json::value_t::object: return !j.empty();
        case Json::value_t::number_integer: return j.get<int64_t>() != 0;
        case Json::value_t::number_unsigned: return j.get<uint64_t>() != 0;
        case Json::value_t::number_float: return j.get<double>() != 0;
        default: return true;
    }
}

}  // namespace skiff::format::tmpl
