// Addresses for containers on a user-defined network: chosen at create
// (and connect) and kept until rm (or disconnect), so a container keeps
// its address across restarts and the DNS name never points elsewhere.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "net/cidr.hpp"

namespace skiff::net {

struct AddressPool {
    Ipv4Net subnet;
    Ipv4Net range;       // where automatic addresses come from (the subnet when no --ip-range)
    uint32_t gateway = 0;
};

AddressPool pool_of(const std::string& subnet, const std::string& ip_range, const std::string& gateway);
// The lowest free host address of the range (never the network, broadcast
// or gateway address); throws when the range is full.
uint32_t next_free_address(const AddressPool& pool, const std::set<uint32_t>& used, const std::string& network_name);
// A --ip request: inside the subnet, a host address, not the gateway, not taken.
uint32_t check_requested_address(const AddressPool& pool, const std::string& ip, const std::set<uint32_t>& used,
                                 const std::string& network_name);

}  // namespace skiff::net
