// This file implements release_setup_memory (memory_trim.h): the file pages found
// through /proc/self/pagemap are unmapped with madvise(MADV_DONTNEED), the heap's
// free pages with malloc_trim.
#include "engine/monitor/memory_trim.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::monitor {

std::vector<Mapping> file_mappings(std::string_view maps) {
    std::vector<Mapping> out;
    size_t at = 0;
    while (at < maps.size()) {
        size_t end_of_line = maps.find('\n', at);
        if (end_of_line == std::string_view::npos) end_of_line = maps.size();
        std::string line(maps.substr(at, end_of_line - at));
        at = end_of_line + 1;
        // "start-end perms offset dev inode /path"; [heap], [vdso] and anonymous
        // mappings have no path.
        char* rest = nullptr;
        uintptr_t start = std::strtoul(line.c_str(), &rest, 16);
        if (!rest || *rest != '-') continue;
        uintptr_t end = std::strtoul(rest + 1, &rest, 16);
        if (!rest || *rest != ' ' || end <= start || line.find(" /") == std::string::npos) continue;
        out.push_back({start, end});
    }
    return out;
}

size_t release_setup_memory() {
    size_t released = 0;
    auto maps = sys::read_file("/proc/self/maps", 1 << 20);
    sys::UniqueFd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    long page_size = ::sysconf(_SC_PAGESIZE);
    if (maps.ok() && pagemap && page_size > 0) {
        size_t page = static_cast<size_t>(page_size);
        std::vector<uint64_t> entries;
        for (const auto& m : file_mappings(*maps)) {
            size_t pages = (m.end - m.start) / page;
            entries.assign(pages, 0);
            off_t offset = static_cast<off_t>(m.start / page * sizeof(uint64_t));
            ssize_t n = ::pread(pagemap.get(), entries.data(), pages * sizeof(uint64_t), offset);
            if (n < 0) continue;
            size_t known = static_cast<size_t>(n) / sizeof(uint64_t);
            // Runs of file pages, one madvise each.
            for (size_t i = 0; i < known;) {
                if (!is_resident_file_page(entries[i])) {
                    ++i;
                    continue;
                }
                size_t first = i;
                while (i < known && is_resident_file_page(entries[i])) ++i;
                void* address = reinterpret_cast<void*>(m.start + first * page);
                if (::madvise(address, (i - first) * page, MADV_DONTNEED) == 0) released += (i - first) * page;
            }
            // No fault-around: a page touched again comes back alone, not with
            // the 15 around it (64 KB a fault otherwise).
            ::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_RANDOM);
        }
    }
    ::malloc_trim(0);
    return released;
}

}  // namespace hako::monitor
