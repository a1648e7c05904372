// linux.seccomp through libseccomp: the whole runtime-spec schema
// (actions with errnoRet, argument filters, architectures, flags and
// the SCMP_ACT_NOTIFY listener).
//
// libseccomp needs ~15 ms to compile Docker's profile (350 syscalls, three
// architectures). The runtime compiles once per profile and keeps the BPF
// program under its state root, keyed by the profile's exact text, the
// libseccomp version and the kernel release; a container start then loads
// the cached program with one seccomp(2) call.
#pragma once

#include <string>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::oci {

struct SeccompProgram {
    std::string bpf;     // struct sock_filter[]
    unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
    bool notify = false; // has SCMP_ACT_NOTIFY rules: ask for a listener fd
    bool empty() const { return bpf.empty(); }
};

// Compiles `config`, or reads the result of an earlier compilation from
// cache_dir (empty: no cache).
SeccompProgram compile_seccomp(const Seccomp& config, const std::string& cache_dir);

// Installs the program. no_new_privs is the caller's business (without it
// the kernel demands CAP_SYS_ADMIN). With notify, returns the listener fd.
UniqueFd load_seccomp(const SeccompProgram& program);

}  // namespace skiff::oci
