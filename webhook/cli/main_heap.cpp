// Linked into the flink-memguard executable only, and only with mimalloc: the heap cap of `serve`
// (--max-heap-mb) and the operator new that makes hitting it an exception.
//
// Why (bench/RESULTS.md, Hostile input): under a cgroup memory limit the kernel never fails an
// allocation, it OOM-kills the process; and mimalloc's own operator new calls abort() when it gets
// no memory, because the C library ignores std::set_new_handler. So neither path let one hungry
// request fail alone. With a cap, mimalloc serves the whole heap (malloc, new, OpenSSL, Boost) from
// one reserved, lazily committed arena and never asks the OS for more (mi_option_limit_os_alloc);
// past it malloc returns null and the operator new below throws std::bad_alloc, which the engine
// and the server catch: that request gets a 500 JSON error, the rest are served.
#include <mimalloc.h>

#include <cstddef>
#include <new>

namespace memguard::cli {

bool limit_heap_with_mimalloc(std::size_t bytes) {
  if (mi_reserve_os_memory(bytes, /*commit=*/false, /*allow_large=*/false) != 0) return false;
  mi_option_set(mi_option_limit_os_alloc, 1);
  return true;
}

}  // namespace memguard::cli

namespace {

void* allocate(std::size_t n) {
  for (;;) {
    if (void* p = mi_malloc(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

void* allocate_aligned(std::size_t n, std::align_val_t al) {
  for (;;) {
    if (void* p = mi_malloc_aligned(n, static_cast<std::size_t>(al))) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return mi_malloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return mi_malloc(n); }
void* operator new(std::size_t n, std::align_val_t al) { return allocate_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return allocate_aligned(n, al); }
void operator delete(void* p) noexcept { mi_free(p); }
void operator delete[](void* p) noexcept { mi_free(p); }
void operator delete(void* p, std::size_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::size_t) noexcept { mi_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { mi_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { mi_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { mi_free(p); }
