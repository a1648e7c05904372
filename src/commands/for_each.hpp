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
        }
    }
    return rc;
}

}  // namespace skiff::commands
