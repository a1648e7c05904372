// Commands that act on several containers at once (stop, kill, rm,
// pause…): Docker reports each failure and goes on.
#pragma once

#include <iostream>

#include "cli/command.hpp"
#include "engine/containers.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace skiff::commands {

// Applies `fn` to each named container, reporting errors per container as
// Docker does, and returns 0 only when all succeeded.
template <typename Fn>
inline int for_each_ref(engine::Engine& e, const cli::Args& args, bool all, Fn fn) {
    int rc = 0;
    if (all) {
        for (auto& c : engine::list_containers(e)) try {
                fn(c, c.id);
            } catch (const Error& err) {
                std::cerr << "Error: " << err.what() << "\n";
                rc = kExitEngine;
            } catch (const std::exception& err) {  // a bug: still go on with the others
                std::cerr << "Error: " << internal_error_message(err.what()) << "\n";
                rc = kExitEngine;
            }
        return rc;
    }
    for (auto& ref : args.positionals) {
        try {
            fn(engine::find_container(e, ref), ref);
        } catch (const NotFound& err) {
            std::cerr << "Error: " << err.what() << "\n";
            rc = rc ? rc : 1;
        } catch (const Error& err) {
            std::cerr << "Error: " << err.what() << "\n";
            rc = kExitEngine;
        } catch (const std::exception& err) {  // a bug: still go on with the others
            std::cerr << "Error: " << internal_error_message(err.what()) << "\n";
            rc = kExitEngine;
        }
    }
    return rc;
}

// rm of named objects (volumes, networks): each removed name is printed,
// each failure reported, and the exit code is Podman's: 1 when one was
// missing, 2 when one was in use (its error contains `in_use`), else 125.
template <typename Fn>
inline int remove_each(const std::vector<std::string>& names, const std::string& in_use, Fn fn) {
    int rc = 0;
    for (auto& name : names) {
        try {
            fn(name);
            std::cout << name << "\n";
        } catch (const Error& err) {
            std::cerr << "Error: " << err.what() << "\n";
            int code = dynamic_cast<const NotFound*>(&err)                          ? 1
                       : std::string(err.what()).find(in_use) != std::string::npos ? 2
                                                                                    : kExitEngine;
            rc = rc ? rc : code;
        }
    }
    return rc;
}

}  // namespace skiff::commands
