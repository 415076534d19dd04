#include "app/run_paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "app/engine_runner.hpp"

namespace tp {
namespace {

namespace fs = std::filesystem;

// `what 'path'` (the command line escapes the message before printing it).
std::string named(const RunPath& p) { return p.what + " '" + p.path + "'"; }

// What makes two paths the same file: device and inode of what exists, else the absolute path
// with every symbolic link that exists resolved.
struct FileKey {
  bool exists = false;
  bool char_device = false;  // /dev/null, a terminal: several outputs may share one
  dev_t dev = 0;
  ino_t ino = 0;
  std::string path;
  bool operator==(const FileKey& o) const {
    if (exists != o.exists) return false;
    return exists ? dev == o.dev && ino == o.ino : path == o.path;
  }
};

FileKey key_of(const std::string& path) {
  FileKey k;
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    k.exists = true;
    k.char_device = S_ISCHR(st.st_mode);
    k.dev = st.st_dev;
    k.ino = st.st_ino;
    return k;
  }
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  k.path = ec ? path : abs.lexically_normal().string();
  return k;
}

void check_readable(const RunPath& p) {
  struct stat st{};
  if (::stat(p.path.c_str(), &st) != 0) throw RunError("cannot read " + named(p) + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw RunError("cannot read " + named(p) + ": it is a directory");
  const int fd = ::open(p.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw RunError("cannot read " + named(p) + ": " + std::strerror(errno));
  ::close(fd);
}

void check_writable(const RunPath& p) {
  struct stat st{};
  if (::stat(p.path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw RunError("cannot write " + named(p) + ": it is a directory");
    if (S_ISFIFO(st.st_mode)) return;  // opening it would wait for (or need) a reader
    // Opened for writing without O_TRUNC: nothing in it changes.
    const int fd = ::open(p.path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw RunError("cannot write " + named(p) + ": " + std::strerror(errno));
    ::close(fd);
    return;
  }
  if (errno != ENOENT) throw RunError("cannot write " + named(p) + ": " + std::strerror(errno));
  const fs::path parent = fs::path(p.path).has_parent_path() ? fs::path(p.path).parent_path() : fs::path(".");
  if (::stat(parent.c_str(), &st) != 0)
    throw RunError("cannot write " + named(p) + ": its directory '" + parent.string() +
                   "': " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    throw RunError("cannot write " + named(p) + ": '" + parent.string() + "' is not a directory");
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    throw RunError("cannot write " + named(p) + ": its directory '" + parent.string() +
                   "': " + std::strerror(errno));
}

}  // namespace

void check_run_paths(const RunPaths& paths) {
  for (const auto* list : {&paths.captures, &paths.inputs, &paths.outputs})
    for (const RunPath& p : *list)
      if (p.path.empty()) throw UsageError(p.what + ": the path is empty");

  std::vector<std::pair<const RunPath*, FileKey>> inputs;
  for (const auto* list : {&paths.captures, &paths.inputs})
    for (const RunPath& p : *list) inputs.emplace_back(&p, key_of(p.path));
  std::vector<std::pair<const RunPath*, FileKey>> outputs;
  for (const RunPath& o : paths.outputs) {
    const FileKey k = key_of(o.path);
    for (const auto& [in, ik] : inputs)
      if (k == ik)
        throw UsageError(named(o) + " is the same file as " + named(*in) +
                         ": writing it would destroy the input; choose another path");
    if (!k.char_device)
      for (const auto& [out, ok] : outputs)
        if (k == ok) throw UsageError(named(o) + " is the same file as " + named(*out) + ": choose another path");
    outputs.emplace_back(&o, k);
  }
  for (const RunPath& c : paths.captures) check_readable(c);
  for (const RunPath& o : paths.outputs) check_writable(o);
}

}  // namespace tp
