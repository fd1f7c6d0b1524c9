// This file declares how a monitor gives back the memory its set-up touched: a
// monitor is a fork of the whole hako CLI, and once its container runs it needs
// only its poll loop, not the pages of engine code and heap that the set-up went
// through (they counted ~5 MB of its resident set).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace hako::monitor {

// Unmaps from this process every resident page that is still the file's own
// (page cache: code, read-only data, unwritten data of the binary and its
// libraries; it faults back in when touched again) and returns free heap to the
// kernel. Pages the process wrote (relocations, globals) are private and stay.
// Returns the bytes of file pages it let go.
size_t release_setup_memory();

// The file-backed mappings of /proc/self/maps text (a path after the inode), as
// [start, end) pairs; pure, for tests.
struct Mapping {
    uintptr_t start = 0, end = 0;
};
std::vector<Mapping> file_mappings(std::string_view maps);

// Whether a /proc/self/pagemap entry is a resident page of the page cache (bit 63
// present, bit 61 file-page or shared-anonymous): unmapping it loses nothing.
inline bool is_resident_file_page(uint64_t entry) { return (entry >> 63 & 1) && (entry >> 61 & 1); }

}  // namespace hako::monitor
