// Writing docker-archive and oci-archive tars, and their directory forms.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <memory>
#include <set>

#include "image/archive.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace skiff::image {

namespace {

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

// Where archive members go: a tar stream or a directory.
class Output {
public:
    virtual ~Output() = default;
    // Writes a member of known size from a source that fills buffers.
    virtual void add(const std::string& name, int64_t size, const layers::ReadFn& src) = 0;
    void add(const std::string& name, const std::string& data) {
        size_t pos = 0;
        add(name, static_cast<int64_t>(data.size()), [&](char* buf, size_t len) {
            size_t n = std::min(len, data.size() - pos);
            std::memcpy(buf, data.data() + pos, n);
            pos += n;
            return n;
        });
    }
    virtual void close() = 0;
};

struct WriteDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
};

class TarOutput : public Output {
public:
    explicit TarOutput(const layers::WriteFn& sink) : sink_(sink), a_(archive_write_new()) {
        archive_write_set_format_pax_restricted(a_.get());
        archive_write_set_bytes_in_last_block(a_.get(), 1);
        if (archive_write_open(a_.get(), this, nullptr, write_cb, nullptr) != ARCHIVE_OK)
            throw Error(std::string("save: ") + archive_error_string(a_.get()));
    }
    void add(const std::string& name, int64_t size, const layers::ReadFn& src) override {
        std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_size(e.get(), size);
        archive_entry_set_mtime(e.get(), 0, 0);
        if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
            throw Error(std::string("save: ") + archive_error_string(a_.get()));
        std::unique_ptr<char[]> buf(new char[1 << 20]);
        int64_t written = 0;
        for (;;) {
            size_t n = src(buf.get(), 1 << 20);
            if (n == 0) break;
            if (archive_write_data(a_.get(), buf.get(), n) < 0)
                throw Error(std::string("save: ") + archive_error_string(a_.get()));
            written += static_cast<int64_t>(n);
        }
        if (written != size)
            throw Error("save: " + name + " came to " + std::to_string(written) + " bytes, expected " + std::to_string(size));
        if (std::string d = "dir"; !dirs_.count(d)) dirs_.insert(d);
    }
    void close() override {
        if (archive_write_close(a_.get()) != ARCHIVE_OK)
            throw Error(std::string("save: ") + archive_error_string(a_.get()));
    }

private:
    static la_ssize_t write_cb(struct archive*, void* self, const void* data, size_t len) {
        try {
            static_cast<TarOutput*>(self)->sink_(static_cast<const char*>(data), len);
            return static_cast<la_ssize_t>(len);
        } catch (const std::exception&) {
            return -1;
        }
    }
    const layers::WriteFn& sink_;
    std::unique_ptr<struct archive, WriteDeleter> a_;
    std::set<std::string> dirs_;
};

class DirOutput : public Output {
public:
    explicit DirOutput(const std::string& dir) : dir_(dir) {}
    void add(const std::string& name, int64_t size, const layers::ReadFn& src) override {
        std::string path = fs::join(dir_, name);
        fs::make_dirs(fs::dirname(path));
        std::string tmp = path + ".tmp";
        UniqueFd fd = fs::open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        auto sink = layers::fd_writer(fd.get());
        std::unique_ptr<char[]> buf(new char[1 << 20]);
        int64_t written = 0;
        for (;;) {
            size_t n = src(buf.get(), 1 << 20);
            if (n == 0) break;
            sink(buf.get(), n);
            written += static_cast<int64_t>(n);
        }
        if (written != size) throw Error("save: " + name + " has the wrong size");
        if (::fsync(fd.get()) < 0) throw_errno("fsync " + tmp);
        if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename " + tmp);
    }
    void close() override {}

private:
    std::string dir_;
};

layers::Compression blob_compression(const std::string& path) {
    UniqueFd fd = fs::open_or_throw(path, O_RDONLY);
    char head[8];
    ssize_t n = ::read(fd.get(), head, sizeof head);
    return layers::detect_compression(std::string_view(head, n > 0 ? static_cast<size_t>(n) : 0));
}

int64_t file_size(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) throw_errno("stat " + path);
    return st.st_size;
}

std::vector<Layer> layers_of(Store& store, const Image& img) {
    std::vector<Layer> out;
    if (img.top_layer.empty()) return out;
    for (auto& id : store.layer_chain(img.top_layer)) out.push_back(*store.find_layer(id));
    return out;
}

void write_docker(Store& store, const std::vector<SaveItem>& items, Output& out) {
    Json manifest = Json::array();
    Json repositories = Json::object();
    std::set<std::string> written;
    for (auto& item : items) {
        std::string config_name = item.image.id + ".json";
        if (written.insert(config_name).second) out.add(config_name, item.image.config_raw);
        Json layer_paths = Json::array();
        for (auto& l : layers_of(store, item.image)) {
            std::string path = hex_of(l.diff_id) + "/layer.tar";
            layer_paths.push_back(path);
            if (!written.insert(path).second) continue;
            UniqueFd fd = fs::open_or_throw(store.layer_blob(l.id), O_RDONLY);
            layers::DecompressReader reader(layers::fd_reader(fd.get()));
            out.add(path, l.size, [&](char* buf, size_t len) { return reader.read(buf, len); });
            if (reader.digests().diff_id != l.diff_id)
                throw Error("save: stored layer " + l.id.substr(0, 12) + " is corrupt (diff ID mismatch)");
        }
        Json tags = Json::array();
        for (auto& n : item.names) {
            auto ref = parse_reference(n);
            tags.push_back(ref.familiar());
            if (!ref.tag.empty() && !layer_paths.empty()) {
                std::string repo = ref.familiar().substr(0, ref.familiar().rfind(':'));
                repositories[repo][ref.tag] = hex_of(layers_of(store, item.image).back().diff_id);
            }
        }
        manifest.push_back({{"Config", config_name}, {"RepoTags", tags}, {"Layers", layer_paths}});
    }
    out.add("manifest.json", manifest.dump());
    if (!repositories.empty()) out.add("repositories", repositories.dump());
}

void write_oci(Store& store, const std::vector<SaveItem>& items, Output& out) {
    out.add("oci-layout", std::string(R"({"imageLayoutVersion":"1.0.0"})"));
    Json index = {{"schemaVersion", 2}, {"manifests", Json::array()}};
    std::set<std::string> written;
    for (auto& item : items) {
        Json layers_json = Json::array();
        for (auto& l : layers_of(store, item.image)) {
            std::string blob = store.layer_blob(l.id);
            auto comp = blob_compression(blob);
            std::string media = comp == layers::Compression::Gzip   ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                : comp == layers::Compression::Zstd ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                                                    : "application/vnd.oci.image.layer.v1.tar";
            std::string digest = l.blob_digest;
            int64_t size = file_size(blob);
            std::string path = "blobs/sha256/" + hex_of(digest);
            if (written.insert(path).second) {
                UniqueFd fd = fs::open_or_throw(blob, O_RDONLY);
                out.add(path, size, layers::fd_reader(fd.get()));
            }
            layers_json.push_back({{"mediaType", media}, {"digest", digest}, {"size", size}});
        }
        std::string config_digest = "sha256:" + item.image.id;
        std::string config_path = "blobs/sha256/" + item.image.id;
        if (written.insert(config_path).second) out.add(config_path, item.image.config_raw);
        Json manifest = {{"schemaVersion", 2},
                         {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"config",
                          {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                           {"digest", config_digest},
                           {"size", item.image.config_raw.size()}}},
                         {"layers", layers_json}};
        std::string raw = manifest.dump();
        std::string digest = Sha256::digest_of(raw);
        if (written.insert("blobs/sha256/" + hex_of(digest)).second) out.add("blobs/sha256/" + hex_of(digest), raw);
        std::vector<std::string> names = item.names;
        if (names.empty()) names.push_back("");
        for (auto& n : names) {
            Json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", digest}, {"size", raw.size()}};
            if (!n.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", n}, {"io.containerd.image.name", n}};
            index["manifests"].push_back(desc);
        }
    }
    out.add("index.json", index.dump());
}

}  // namespace

void save_archive(Store& store, const std::vector<SaveItem>& items, ArchiveFormat format, const layers::WriteFn& sink) {
    TarOutput out(sink);
    if (format == ArchiveFormat::DockerArchive) write_docker(store, items, out);
    else if (format == ArchiveFormat::OciArchive) write_oci(store, items, out);
    else throw Error("save: a directory format cannot be written to a stream");
    out.close();
}

void save_dir(Store& store, const std::vector<SaveItem>& items, ArchiveFormat format, const std::string& dir) {
    fs::make_dirs(dir);
    DirOutput out(dir);
    if (format == ArchiveFormat::OciDir) write_oci(store, items, out);
    else if (format == ArchiveFormat::DockerDir) write_docker(store, items, out);
    else throw Error("save: an archive format cannot be written to a directory");
}

}  // namespace skiff::image
