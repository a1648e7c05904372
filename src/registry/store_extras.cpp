#include "registry/store_extras.hpp"

#include "state/db.hpp"

namespace skiff::registry {

void add_repo_digest(image::Store& store, const std::string& image_id, const std::string& repo_at_digest) {
    state::Transaction tx(store.db());
    store.db()
        .prepare("INSERT OR IGNORE INTO image_digests (image_id, repo_digest) VALUES (?1, ?2)")
        .bind(1, image_id)
        .bind(2, repo_at_digest)
        .run();
    tx.commit();
}

std::optional<std::string> stored_manifest(image::Store& store, const std::string& image_id) {
    auto st = store.db().prepare("SELECT manifest FROM images WHERE id = ?1");
    st.bind(1, image_id);
    if (!st.step()) return std::nullopt;
    return st.text_or_null(0);
}

}  // namespace skiff::registry
