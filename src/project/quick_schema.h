// This file declares QuickSchema: the Compose schema compiled into a small
// table for the question most loads ask, "is this document valid?", answered
// in one walk without valijson. It knows exactly the draft-7 keywords the
// schema uses and gives valijson's answer for them; errors are still
// explained by valijson (schema.cpp), which runs only when this says no.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "src/project/project.h"

namespace hako::project {

class QuickSchema {
public:
    // nullptr when `schema` uses a keyword this check does not know (then
    // valijson checks every document).
    static std::unique_ptr<QuickSchema> compile(const Json& schema);

    // valijson's verdict (strong types) on `value` with every `x-` key, at
    // any depth, taken out first (as validate_schema parks them): extension
    // fields are never checked and do not count in comparisons.
    bool valid(const Json& value) const;

private:
    enum TypeBit : uint8_t {
        kNull = 1,
        kBoolean = 2,
        kInteger = 4,
        kNumber = 8,  // integer or not
        kString = 16,
        kArray = 32,
        kObject = 64,
    };
    static constexpr int kAnything = -1;  // additionalProperties absent or true
    static constexpr int kNothing = -2;   // additionalProperties false

    struct Node {
        uint8_t types = 0;  // 0: any type
        std::vector<std::pair<std::string, int>> properties;  // sorted by name
        int additional = kAnything;
        int items = kAnything;
        int property_names = kAnything;
        std::vector<std::string> required;
        bool unique_items = false;
        int enumeration = -1;  // into enums_
        int pattern = -1;  // into patterns_
        std::optional<double> minimum, maximum;
        std::optional<size_t> min_length;
    };

    class Compiler;
    bool check(int node, const Json& value) const;
    bool check_object(const Node& node, const Json& value) const;
    bool check_name(int node, const std::string& name) const;  // propertyNames
    bool matches(const Node& node, const std::string& text) const;  // pattern and minLength

    std::vector<Node> nodes_;  // nodes_[0] is the root
    std::vector<std::regex> patterns_;
    std::vector<Json> enums_;
};

// valijson's strict equality (uniqueItems, enum) with `x-` keys left out:
// numbers compare as doubles, mappings by their keys and values, lists item
// by item.
bool strictly_equal(const Json& a, const Json& b);

}  // namespace hako::project
