#include <catch2/catch.hpp>

#include "container/handoff.hpp"
#include "monitor_idle/protocol.hpp"

using namespace skiff;

TEST_CASE("idle monitor: client specs and hex keys survive the words", "[idle]") {
    idle::ClientSpec c{7, -1, 9, 10, true, std::string("\x10\x11\0x", 4)};
    std::string word = idle::encode_client(c);
    CHECK(word == "7,-1,9,10,1,1011" "0078");
    idle::ClientSpec back;
    REQUIRE(idle::decode_client(word, back));
    CHECK(back.ctl == 7);
    CHECK(back.in == -1);
    CHECK(back.out == 9);
    CHECK(back.err == 10);
    CHECK(back.detached);
    CHECK(back.detach_seq == c.detach_seq);
    CHECK_FALSE(idle::decode_client("7,8,9", back));
    CHECK_FALSE(idle::decode_client("-1,8,9,10,0,", back));  // no control socket
    std::string v;
    CHECK(idle::word_value("log_path=/a=b", "log_path", v));
    CHECK(v == "/a=b");
    CHECK_FALSE(idle::word_value("log_path=/a", "log", v));
    CHECK_FALSE(idle::word_value("log", "log", v));
    CHECK(idle::from_hex(idle::to_hex(std::string("\0\xff\x1b", 3))) == std::string("\0\xff\x1b", 3));
}

TEST_CASE("idle monitor: the handoff file keeps the monitor's configuration", "[idle]") {
    container::MonitorConfig cfg;
    cfg.container.id = "abc";
    cfg.paths.userdata = "/data/abc";
    cfg.paths.rundir = "/run/abc";
    cfg.database = "/data/skiff.db";
    cfg.runtime_root = "/run/oci";
    cfg.rootfs.driver = layers::DriverKind::FuseOverlayfs;
    cfg.rootfs.options.storage_dir = "/data";
    cfg.rootfs.options.userns = true;
    cfg.rootfs.options.mount_options = {"metacopy=on"};
    cfg.rootfs.layers = {"/l/1", "/l/2"};
    cfg.rootfs.container_dir = "/data/abc";
    container::VolumeMount v;
    v.name = "vol";
    v.data_dir = "/v/_data";
    v.destination = "/srv";
    v.anonymous = true;
    v.options = {{"type", "tmpfs"}};
    cfg.volumes.push_back(v);
    cfg.image_config = {{"ExposedPorts", {{"80/tcp", Json::object()}}}};
    cfg.log_driver = "json-file";
    cfg.log_max_size = 4096;
    cfg.join_pids = {{"ipc", 42}};
    cfg.netd_pid = 99;
    cfg.network_record = {{"id", "abc"}};
    auto back = container::monitor_config_from_json(Json::parse(container::monitor_config_to_json(cfg).dump()));
    CHECK(back.container.id == "abc");
    CHECK(back.paths.rundir == "/run/abc");
    CHECK(back.paths.userdata == "/data/abc");
    CHECK(back.database == cfg.database);
    CHECK(back.runtime == "builtin");
    CHECK(back.rootfs.driver == layers::DriverKind::FuseOverlayfs);
    CHECK(back.rootfs.options.userns == std::optional<bool>(true));
    CHECK(back.rootfs.options.mount_options == cfg.rootfs.options.mount_options);
    CHECK(back.rootfs.layers == cfg.rootfs.layers);
    REQUIRE(back.volumes.size() == 1);
    CHECK(back.volumes[0].anonymous);
    CHECK(back.volumes[0].options.at("type") == "tmpfs");
    CHECK(back.image_config == cfg.image_config);
    CHECK(back.log_driver == "json-file");
    CHECK(back.log_max_size == 4096);
    CHECK(back.join_pids.at("ipc") == 42);
    CHECK(back.netd_pid == 99);
    CHECK(back.network_record == cfg.network_record);
    cfg.rootfs.options.userns.reset();
    back = container::monitor_config_from_json(container::monitor_config_to_json(cfg));
    CHECK_FALSE(back.rootfs.options.userns.has_value());
}
