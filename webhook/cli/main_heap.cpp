// Linked into the flink-memguard executable only, and only with mimalloc: the heap cap of `serve`
// (--max-heap-mb) and the operator new that makes hitting it an exception.
//
// Why (bench/RESULTS.md, Hostile input): under a cgroup memory limit the kernel never fails an
// allocation, it OOM-kills the process; and mimalloc's own operator new calls abort() when it gets
// no memory, because the C library ignores std::set_new_handler. So neither path let one hungry
// request fail alone. Here operator new counts the bytes it hands out (mimalloc's usable size of
// each block) and, past the cap, throws std::bad_alloc, which the engine and the server catch: that
// request gets a 500 JSON error and frees what it held as it unwinds, the rest are served.
//
// Not a mimalloc arena (mi_reserve_os_memory + mi_option_limit_os_alloc), which this file used
// first: mimalloc 2.0 gives every thread segments of its own, 32 MiB each, so a capped arena ran
// out of segments for the decision threads and every later allocation on them failed, small
// reviews included, for good. Counting live bytes has no such step: the cap is what the heap holds.
#include <mimalloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace {

// 0: no cap. Set once by `serve` before its threads start.
std::atomic<std::size_t> g_cap{0};
// Bytes allocated since the cap was set, less bytes freed since then. Signed: a block allocated
// before the cap and freed after it is subtracted without having been added, so this may fall
// below the true count by at most what was live when the cap was set (the server's start-up heap,
// well under a MiB), never by more.
std::atomic<std::int64_t> g_live{0};

// Counts a block just allocated; false (and nothing counted) when it would pass the cap.
bool count(void* p) {
  const std::size_t cap = g_cap.load(std::memory_order_relaxed);
  if (cap == 0) return true;
  const auto size = static_cast<std::int64_t>(mi_usable_size(p));
  if (g_live.fetch_add(size, std::memory_order_relaxed) + size > static_cast<std::int64_t>(cap)) {
    g_live.fetch_sub(size, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void release(void* p) noexcept {
  if (p != nullptr && g_cap.load(std::memory_order_relaxed) != 0) {
    g_live.fetch_sub(static_cast<std::int64_t>(mi_usable_size(p)), std::memory_order_relaxed);
  }
  mi_free(p);
}

template <class Allocate>
void* allocate_or_throw(Allocate allocate) {
  for (;;) {
    if (void* p = allocate()) {
      if (count(p)) return p;
      mi_free(p);
      throw std::bad_alloc();  // over the cap: no new_handler can make room that the cap allows
    }
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

template <class Allocate>
void* allocate_or_null(Allocate allocate) noexcept {
  void* p = allocate();
  if (p != nullptr && !count(p)) {
    mi_free(p);
    return nullptr;
  }
  return p;
}

}  // namespace

namespace memguard::cli {

// Caps the bytes of live blocks allocated from now on (see g_live). Called once, before the
// server's threads start.
bool limit_heap_with_mimalloc(std::size_t bytes) {
  g_live.store(0, std::memory_order_relaxed);
  g_cap.store(bytes, std::memory_order_relaxed);
  return true;
}

}  // namespace memguard::cli

void* operator new(std::size_t n) { return allocate_or_throw([n] { return mi_malloc(n); }); }
void* operator new[](std::size_t n) { return allocate_or_throw([n] { return mi_malloc(n); }); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null([n] { return mi_malloc(n); });
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null([n] { return mi_malloc(n); });
}
void* operator new(std::size_t n, std::align_val_t al) {
  return allocate_or_throw([n, al] { return mi_malloc_aligned(n, static_cast<std::size_t>(al)); });
}
void* operator new[](std::size_t n, std::align_val_t al) {
  return allocate_or_throw([n, al] { return mi_malloc_aligned(n, static_cast<std::size_t>(al)); });
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
