// This file implements the list of YAML files the decoder and schema tests
// run over: every .yaml/.yml under the test data and examples, with its text.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hako::project::testing {

// (path, text) of every YAML file under tests/data and examples.
inline std::vector<std::pair<std::string, std::string>> test_yaml_files() {
    namespace fs = std::filesystem;
    std::vector<std::pair<std::string, std::string>> out;
    for (const char* dir : {HAKO_TEST_DATA, HAKO_SOURCE_DIR "/examples"}) {
        for (const auto& entry : fs::recursive_directory_iterator(dir)) {
            auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::stringstream buffer;
            buffer << in.rdbuf();
            out.emplace_back(entry.path().string(), buffer.str());
        }
    }
    return out;
}

}  // namespace hako::project::testing
