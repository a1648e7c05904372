#include "container/record.hpp"

#include "state/ids.hpp"
#include "util/error.hpp"

namespace skiff::container {

namespace {
constexpr const char* kColumns =
    "id, name, coalesce(image_id, ''), image_name, created, spec, state, pid, monitor_pid, exit_code, started_at, "
    "finished_at, restart_count, boot_id, error";
}

ContainerPaths container_paths(const state::Paths& p, const std::string& id) {
    return {p.containers_dir() + "/" + id, p.run_containers_dir() + "/" + id};
}

Container Records::read(state::Statement& st) {
    Container c;
    c.id = st.text(0);
    c.name = st.text(1);
    c.image_id = st.text(2);
    c.image_name = st.text(3);
    c.created = st.integer(4);
    c.spec = ContainerSpec::from_json(Json::parse(st.text(5)));
    c.state = st.text(6);
    c.pid = static_cast<int>(st.integer(7));
    c.monitor_pid = static_cast<int>(st.integer(8));
    c.exit_code = static_cast<int>(st.integer(9));
    c.started_at = st.integer(10);
    c.finished_at = st.integer(11);
    c.restart_count = static_cast<int>(st.integer(12));
    c.boot_id = st.text(13);
    c.error = st.text(14);
    return c;
}

void Records::insert(Container& c, bool name_given) {
    for (int attempt = 0;; ++attempt) {
        if (!name_given) c.name = state::random_name();
        state::Transaction tx(db_);
        auto clash = db_.prepare("SELECT id FROM containers WHERE name = ?1");
        clash.bind(1, c.name);
        if (clash.step()) {
            if (name_given || attempt > 20)
                throw Error("the container name \"" + c.name + "\" is already in use by " + clash.text(0) +
                            ". You have to remove (or rename) that container to be able to reuse that name");
            continue;
        }
        db_.prepare("INSERT INTO containers (id, name, image_id, image_name, created, spec, state) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .bind(1, c.id)
            .bind(2, c.name)
            .bind(3, c.image_id.empty() ? std::optional<std::string>() : c.image_id)
            .bind(4, c.image_name)
            .bind(5, c.created)
            .bind(6, c.spec.to_json().dump())
            .bind(7, c.state)
            .run();
        tx.commit();
        return;
    }
}

std::optional<Container> Records::get(const std::string& id) {
    auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM containers WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read(st);
}

Container Records::resolve(const std::string& ref) {
    auto id = state::resolve_id(db_, "containers", "id", "name", ref, "container");
    auto c = get(id);
    if (!c) throw NotFound("no such container: " + ref);
    return *c;
}

std::vector<Container> Records::list() {
    std::vector<Container> out;
    auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM containers ORDER BY created DESC");
    while (st.step()) out.push_back(read(st));
    return out;
}

void Records::remove(const std::string& id) {
    state::Transaction tx(db_);
    db_.prepare("DELETE FROM containers WHERE id = ?1").bind(1, id).run();
    // Its addresses on user-defined networks go with it.
    db_.prepare("DELETE FROM network_attachments WHERE container_id = ?1").bind(1, id).run();
    tx.commit();
}

void Records::rename(const std::string& id, const std::string& name) {
    state::Transaction tx(db_);
    auto clash = db_.prepare("SELECT id FROM containers WHERE name = ?1");
    clash.bind(1, name);
    if (clash.step()) throw Error("the container name \"" + name + "\" is already in use by " + clash.text(0));
    db_.prepare("UPDATE containers SET name = ?2 WHERE id = ?1").bind(1, id).bind(2, name).run();
    tx.commit();
}

void Records::set_running(const std::string& id, int pid, int monitor_pid, int64_t started_at,
                          const std::string& boot_id) {
    state::Transaction tx(db_);
    db_.prepare("UPDATE containers SET state = 'running', pid = ?2, monitor_pid = ?3, started_at = ?4, boot_id = ?5, "
                "exit_code = 0, error = '' WHERE id = ?1")
        .bind(1, id)
        .bind(2, pid)
        .bind(3, monitor_pid)
        .bind(4, started_at)
        .bind(5, boot_id)
        .run();
    tx.commit();
}

void Records::set_monitor(const std::string& id, int monitor_pid, const std::string& boot_id) {
    state::Transaction tx(db_);
    db_.prepare("UPDATE containers SET monitor_pid = ?2, boot_id = ?3 WHERE id = ?1")
        .bind(1, id)
        .bind(2, monitor_pid)
        .bind(3, boot_id)
        .run();
    tx.commit();
}

void Records::set_state(const std::string& id, const std::string& state) {
    state::Transaction tx(db_);
    db_.prepare("UPDATE containers SET state = ?2 WHERE id = ?1").bind(1, id).bind(2, state).run();
    tx.commit();
}

void Records::set_exited(const std::string& id, int exit_code, int64_t finished_at, const std::string& error) {
    state::Transaction tx(db_);
    db_.prepare("UPDATE containers SET state = 'exited', pid = 0, monitor_pid = 0, exit_code = ?2, finished_at = ?3, "
                "error = ?4 WHERE id = ?1")
        .bind(1, id)
        .bind(2, exit_code)
        .bind(3, finished_at)
        .bind(4, error)
        .run();
    tx.commit();
}

void Records::bump_restart(const std::string& id) {
    state::Transaction tx(db_);
    db_.prepare("UPDATE containers SET restart_count = restart_count + 1 WHERE id = ?1").bind(1, id).run();
    tx.commit();
}

}  // namespace skiff::container
