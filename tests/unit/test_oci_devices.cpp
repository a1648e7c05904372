// The eBPF device filter of cgroup v2 (linux.resources.devices), checked
// by interpreting the program the runtime would attach.
#include <linux/bpf.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "oci/cgroup_devices.hpp"

using namespace skiff::oci;

namespace {

// Runs the few eBPF instructions the device filter uses against one
// access: what the kernel's interpreter would answer (1 allow, 0 deny).
int run_filter(const std::vector<uint64_t>& prog, int type, int access, uint32_t major, uint32_t minor) {
    uint32_t ctx[3] = {static_cast<uint32_t>(access << 16 | type), major, minor};
    uint64_t r[11] = {};
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        struct bpf_insn i;
        std::memcpy(&i, &prog[pc], sizeof(i));
        switch (i.code) {
            case BPF_LDX | BPF_MEM | BPF_W: r[i.dst_reg] = ctx[i.off / 4]; break;
            case BPF_ALU64 | BPF_MOV | BPF_X: r[i.dst_reg] = r[i.src_reg]; break;
            case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
            case BPF_ALU | BPF_AND | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & static_cast<uint32_t>(i.imm)); break;
            case BPF_ALU | BPF_RSH | BPF_K: r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm; break;
            case BPF_JMP | BPF_JNE | BPF_K:
                if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += static_cast<size_t>(i.off);
                break;
            case BPF_JMP | BPF_EXIT: return static_cast<int>(r[0]);
            default: FAIL("unexpected instruction " << int(i.code)); return -1;
        }
    }
    FAIL("the program fell off its end");
    return -1;
}

DeviceRule rule(bool allow, char type, std::optional<int64_t> maj, std::optional<int64_t> min, const char* access) {
    DeviceRule r;
    r.allow = allow;
    r.type = type;
    r.major = maj;
    r.minor = min;
    r.access = access;
    return r;
}

}  // namespace

TEST_CASE("the cgroup v2 device filter lets the last matching rule decide", "[oci]") {
    constexpr int C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
    constexpr int R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;
    auto prog = device_filter_program({rule(false, 'a', {}, {}, "rwm"), rule(true, 'c', 1, 3, "rwm"),
                                       rule(true, 'c', 1, 5, "r"), rule(true, 'c', 136, {}, "rw"),
                                       rule(false, 'c', 136, 7, "w")});
    CHECK(run_filter(prog, C, R | W, 1, 3) == 1);      // /dev/null
    CHECK(run_filter(prog, C, R, 1, 5) == 1);          // /dev/zero, read
    CHECK(run_filter(prog, C, W, 1, 5) == 0);          // ... but not write
    CHECK(run_filter(prog, C, R, 1, 9) == 0);          // /dev/urandom: denied by the first rule
    CHECK(run_filter(prog, B, R, 1, 3) == 0);          // a block device 1:3 is not /dev/null
    CHECK(run_filter(prog, C, R | W, 136, 2) == 1);    // any pty
    CHECK(run_filter(prog, C, M, 136, 2) == 0);        // ... without mknod
    CHECK(run_filter(prog, C, W, 136, 7) == 0);        // the later deny wins
    CHECK(run_filter(prog, C, R, 136, 7) == 1);

    // A rule matching everything ends the program (the verifier refuses
    // unreachable instructions), and nothing matched means deny.
    auto allow_all = device_filter_program({rule(true, 'a', {}, {}, "rwm")});
    CHECK(run_filter(allow_all, B, R | W | M, 8, 0) == 1);
    auto none = device_filter_program({rule(true, 'c', 1, 3, "rwm")});
    CHECK(run_filter(none, C, R, 1, 5) == 0);
}
