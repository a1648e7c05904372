// docker-archive and oci-archive: `load` reads both (as written by docker
// save, podman save and skiff save); `save` writes either.
#pragma once

#include <string>
#include <vector>

#include "image/store.hpp"
#include "layers/compress.hpp"

namespace skiff::image {

struct LoadedImage {
    Image image;
    std::vector<std::string> tags;  // names the archive gave it
};

// Reads an archive (plain, gzip or zstd) in one pass: layers are unpacked as
// they stream by, the manifest is matched up at the end, and everything is
// committed at once. Nothing is stored when anything is wrong.
std::vector<LoadedImage> load_archive(Store& store, const layers::ReadFn& src);
// The same, from an OCI layout directory (index.json, blobs/).
std::vector<LoadedImage> load_oci_dir(Store& store, const std::string& dir);

enum class ArchiveFormat { DockerArchive, OciArchive, OciDir, DockerDir };
ArchiveFormat parse_archive_format(const std::string& name);

struct SaveItem {
    Image image;
    std::vector<std::string> names;  // full names to record in the archive
};
// Writes the images to `sink` as a tar (docker-archive / oci-archive).
void save_archive(Store& store, const std::vector<SaveItem>& items, ArchiveFormat format, const layers::WriteFn& sink);
// Writes an OCI layout or docker directory into `dir` (created, must be empty).
void save_dir(Store& store, const std::vector<SaveItem>& items, ArchiveFormat format, const std::string& dir);

}  // namespace skiff::image
