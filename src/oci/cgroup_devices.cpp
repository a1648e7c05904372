#include "oci/cgroup_devices.hpp"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::oci {

namespace {

// One eBPF instruction, as struct bpf_insn lays it out.
uint64_t insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    struct bpf_insn i {};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    uint64_t out;
    static_assert(sizeof(i) == sizeof(out));
    std::memcpy(&out, &i, sizeof(out));
    return out;
}

uint64_t load_u32(uint8_t dst, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0); }
uint64_t mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
uint64_t mov_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
uint64_t and_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
uint64_t rsh_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
uint64_t jne_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
uint64_t exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t access_bits(const std::string& access) {
    int32_t a = 0;
    for (char c : access) {
        if (c == 'm') a |= BPF_DEVCG_ACC_MKNOD;
        if (c == 'r') a |= BPF_DEVCG_ACC_READ;
        if (c == 'w') a |= BPF_DEVCG_ACC_WRITE;
    }
    return a;
}

}  // namespace

std::vector<uint64_t> device_filter_program(const std::vector<DeviceRule>& rules) {
    // The context (struct bpf_cgroup_dev_ctx): access_type = access << 16 | type,
    // then major and minor.
    std::vector<uint64_t> p = {
        load_u32(BPF_REG_2, 0), mov_reg(BPF_REG_3, BPF_REG_2), and_imm(BPF_REG_3, 0xffff),  // r3: type
        mov_reg(BPF_REG_4, BPF_REG_2), rsh_imm(BPF_REG_4, 16),                            // r4: access
        load_u32(BPF_REG_5, 4),                                                          // r5: major
        load_u32(BPF_REG_6, 8),                                                          // r6: minor
    };
    // Later rules override earlier ones (as writes to v1's devices.allow
    // and devices.deny do): test them last to first, the first match decides.
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
        const DeviceRule& r = *it;
        std::vector<uint64_t> checks;
        if (r.type != 'a') checks.push_back(jne_imm(BPF_REG_3, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
        int32_t acc = access_bits(r.access);
        if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
            // No match when the request asks for more than the rule names.
            checks.push_back(mov_reg(BPF_REG_7, BPF_REG_4));
            checks.push_back(and_imm(BPF_REG_7, ~acc));
            checks.push_back(jne_imm(BPF_REG_7, 0, 0));
        }
        if (r.type != 'a' && r.major) checks.push_back(jne_imm(BPF_REG_5, static_cast<int32_t>(*r.major), 0));
        if (r.type != 'a' && r.minor) checks.push_back(jne_imm(BPF_REG_6, static_cast<int32_t>(*r.minor), 0));
        bool matches_all = checks.empty();
        checks.push_back(mov_imm(BPF_REG_0, r.allow ? 1 : 0));
        checks.push_back(exit_insn());
        // Each failed check jumps past the end of this rule's block.
        for (size_t i = 0; i < checks.size(); ++i) {
            struct bpf_insn b;
            std::memcpy(&b, &checks[i], sizeof(b));
            if (b.code == (BPF_JMP | BPF_JNE | BPF_K)) {
                b.off = static_cast<int16_t>(checks.size() - i - 1);
                std::memcpy(&checks[i], &b, sizeof(b));
            }
        }
        p.insert(p.end(), checks.begin(), checks.end());
        // The verifier refuses unreachable instructions: a rule matching
        // everything ends the program.
        if (matches_all) return p;
    }
    p.push_back(mov_imm(BPF_REG_0, 0));
    p.push_back(exit_insn());
    return p;
}

void attach_device_filter(const std::string& dir, const std::vector<DeviceRule>& rules) {
    auto prog = device_filter_program(rules);
    char license[] = "Apache-2.0";
    union bpf_attr load {};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>(license);
    UniqueFd pfd(static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load))));
    if (!pfd) throw_errno("cgroup v2 device rules: load the eBPF device filter");
    UniqueFd cg(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg) throw_errno("open " + dir);
    union bpf_attr attach {};
    attach.target_fd = static_cast<uint32_t>(cg.get());
    attach.attach_bpf_fd = static_cast<uint32_t>(pfd.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (::syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach)) < 0)
        throw_errno("cgroup v2 device rules: attach the eBPF device filter to " + dir);
}

}  // namespace skiff::oci
