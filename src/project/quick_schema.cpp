// This file implements QuickSchema (see quick_schema.h): the schema's
// keywords compiled into a table of nodes ($ref resolved to node indexes,
// property names sorted, patterns compiled once), and the walk that checks a
// document against it with valijson's strong-type rules.
#include "src/project/quick_schema.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <valijson/utils/utf8_utils.hpp>

namespace hako::project {
namespace {

bool is_extension(std::string_view key) { return key.size() >= 2 && key[0] == 'x' && key[1] == '-'; }

// valijson's getNumber(): a float as it is, an integer through int64_t.
double as_number(const Json& value) {
    return value.is_number_float() ? value.get<double>() : double(value.get<int64_t>());
}

size_t visible_size(const Json& object) {
    size_t count = 0;
    for (auto it = object.begin(); it != object.end(); ++it) count += is_extension(it.key()) ? 0 : 1;
    return count;
}

}  // namespace

bool strictly_equal(const Json& a, const Json& b) {
    switch (a.type()) {
        case Json::value_t::null: return b.is_null();
        case Json::value_t::boolean: return b.is_boolean() && a.get<bool>() == b.get<bool>();
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float: return b.is_number() && as_number(a) == as_number(b);
        case Json::value_t::string:
            return b.is_string() && a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
        case Json::value_t::array:
            if (!b.is_array() || a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); ++i) {
                if (!strictly_equal(a[i], b[i])) return false;
            }
            return true;
        case Json::value_t::object:
            if (!b.is_object() || visible_size(a) != visible_size(b)) return false;
            for (auto it = a.begin(); it != a.end(); ++it) {
                if (is_extension(it.key())) continue;
                auto other = b.find(it.key());
                if (other == b.end() || !strictly_equal(*it, *other)) return false;
            }
            return true;
        default: return false;
    }
}

// Turns schema JSON into nodes; fails (nullopt) at any keyword or form it
// does not know, so that nothing is ever checked more loosely than valijson.
class QuickSchema::Compiler {
public:
    Compiler(QuickSchema& out, const Json& root) : out_(out), root_(root) {}

    std::optional<int> node(const Json& schema, int depth = 0) {
        if (depth > 64 || !schema.is_object()) return std::nullopt;
        if (auto it = compiled_.find(&schema); it != compiled_.end()) return it->second;
        if (auto ref = schema.find("$ref"); ref != schema.end()) {
            for (auto it = schema.begin(); it != schema.end(); ++it) {
                if (it.key() != "$ref" && !is_annotation(it.key())) return std::nullopt;
            }
            const Json* target = resolve(*ref);
            if (!target) return std::nullopt;
            auto index = node(*target, depth + 1);
            if (index) compiled_[&schema] = *index;
            return index;
        }
        int index = int(out_.nodes_.size());
        out_.nodes_.emplace_back();
        compiled_[&schema] = index;
        for (auto it = schema.begin(); it != schema.end(); ++it) {
            if (!keyword(index, it.key(), it.value(), depth)) return std::nullopt;
        }
        return index;
    }

private:
    static bool is_annotation(const std::string& key) {
        return key == "description" || key == "$schema" || key == "$id" || key == "title" || key == "$comment" ||
               key == "definitions";
    }

    const Json* resolve(const Json& ref) const {
        if (!ref.is_string()) return nullptr;
        const std::string& target = ref.get_ref<const std::string&>();
        if (target == "#") return &root_;
        if (target.rfind("#/", 0) != 0) return nullptr;
        try {
            Json::json_pointer pointer(target.substr(1));
            return root_.contains(pointer) ? &root_.at(pointer) : nullptr;
        } catch (const std::exception&) {
            return nullptr;
        }
    }

    static std::optional<uint8_t> type_bit(const Json& name) {
        if (!name.is_string()) return std::nullopt;
        const std::string& type = name.get_ref<const std::string&>();
        if (type == "null") return kNull;
        if (type == "boolean") return kBoolean;
        if (type == "integer") return kInteger;
        if (type == "number") return kNumber;
        if (type == "string") return kString;
        if (type == "array") return kArray;
        if (type == "object") return kObject;
        return std::nullopt;
    }

    // Node fields are set through the index: compiling a subschema may grow
    // the node table.
    bool keyword(int index, const std::string& key, const Json& value, int depth) {
        auto at = [this, index]() -> Node& { return out_.nodes_[size_t(index)]; };
        if (is_annotation(key)) return true;
        if (key == "type") {
            uint8_t types = 0;
            for (const auto& name : value.is_array() ? value : Json::array({value})) {
                auto bit = type_bit(name);
                if (!bit) return false;
                types |= *bit;
            }
            if (types == 0) return false;
            at().types = types;
            return true;
        }
        if (key == "properties") {
            if (!value.is_object()) return false;
            std::vector<std::pair<std::string, int>> properties;
            for (auto it = value.begin(); it != value.end(); ++it) {
                auto child = node(it.value(), depth + 1);
                if (!child) return false;
                properties.emplace_back(it.key(), *child);
            }
            std::sort(properties.begin(), properties.end());
            at().properties = std::move(properties);
            return true;
        }
        if (key == "patternProperties") {
            // Only `^x-: {}`: extension keys are taken out before any check.
            if (!value.is_object()) return false;
            for (auto it = value.begin(); it != value.end(); ++it) {
                if (it.key() != "^x-" || !it.value().is_object() || !it.value().empty()) return false;
            }
            return true;
        }
        if (key == "additionalProperties") {
            if (value.is_boolean()) {
                at().additional = value.get<bool>() ? kAnything : kNothing;
                return true;
            }
            auto child = node(value, depth + 1);
            if (!child) return false;
            at().additional = *child;
            return true;
        }
        if (key == "items" || key == "propertyNames") {
            auto child = node(value, depth + 1);
            if (!child) return false;
            (key == "items" ? at().items : at().property_names) = *child;
            return true;
        }
        if (key == "required") {
            if (!value.is_array()) return false;
            std::vector<std::string> required;
            for (const auto& name : value) {
                if (!name.is_string()) return false;
                required.push_back(name.get<std::string>());
            }
            at().required = std::move(required);
            return true;
        }
        if (key == "uniqueItems") {
            if (!value.is_boolean()) return false;
            at().unique_items = value.get<bool>();
            return true;
        }
        if (key == "enum") {
            if (!value.is_array()) return false;
            at().enumeration = int(out_.enums_.size());
            out_.enums_.push_back(value);
            return true;
        }
        if (key == "pattern") {
            if (!value.is_string()) return false;
            try {
                out_.patterns_.emplace_back(value.get<std::string>());
            } catch (const std::regex_error&) {
                return false;
            }
            at().pattern = int(out_.patterns_.size() - 1);
            return true;
        }
        if (key == "minimum" || key == "maximum") {
            if (!value.is_number()) return false;
            (key == "minimum" ? at().minimum : at().maximum) = as_number(value);
            return true;
        }
        if (key == "minLength") {
            if (!value.is_number_integer() || value.get<int64_t>() < 0) return false;
            at().min_length = size_t(value.get<int64_t>());
            return true;
        }
        return false;  // a keyword this check does not know
    }

    QuickSchema& out_;
    const Json& root_;
    std::map<const Json*, int> compiled_;
};

std::unique_ptr<QuickSchema> QuickSchema::compile(const Json& schema) {
    std::unique_ptr<QuickSchema> out(new QuickSchema());
    Compiler compiler(*out, schema);
    auto root = compiler.node(schema);
    if (!root || *root != 0) return nullptr;
    return out;
}

bool QuickSchema::valid(const Json& value) const { return check(0, value); }

bool QuickSchema::matches(const Node& node, const std::string& text) const {
    if (node.pattern >= 0 && !std::regex_search(text, patterns_[size_t(node.pattern)])) return false;
    if (node.min_length && valijson::utils::u8_strlen(text.c_str()) < *node.min_length) return false;
    return true;
}

bool QuickSchema::check_name(int index, const std::string& name) const {
    const Node& node = nodes_[size_t(index)];
    if (node.types != 0 && !(node.types & kString)) return false;
    if (node.enumeration >= 0) {
        const Json& allowed = enums_[size_t(node.enumeration)];
        bool found = std::any_of(allowed.begin(), allowed.end(), [&](const Json& v) {
            return v.is_string() && v.get_ref<const std::string&>() == name;
        });
        if (!found) return false;
    }
    return matches(node, name);
}

bool QuickSchema::check_object(const Node& node, const Json& value) const {
    for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string& key = it.key();
        if (is_extension(key)) continue;
        if (node.property_names != kAnything && !check_name(node.property_names, key)) return false;
        auto found = std::lower_bound(node.properties.begin(), node.properties.end(), key,
                                      [](const auto& property, const std::string& k) { return property.first < k; });
        int schema = found != node.properties.end() && found->first == key ? found->second : node.additional;
        if (schema == kNothing) return false;
        if (schema != kAnything && !check(schema, *it)) return false;
    }
    for (const auto& key : node.required) {
        if (is_extension(key) || !value.contains(key)) return false;
    }
    return true;
}

bool QuickSchema::check(int index, const Json& value) const {
    const Node& node = nodes_[size_t(index)];
    if (node.types != 0) {
        uint8_t bits = 0;
        switch (value.type()) {
            case Json::value_t::null: bits = kNull; break;
            case Json::value_t::boolean: bits = kBoolean; break;
            case Json::value_t::number_integer:
            case Json::value_t::number_unsigned: bits = kInteger | kNumber; break;
            case Json::value_t::number_float: bits = kNumber; break;
            case Json::value_t::string: bits = kString; break;
            case Json::value_t::array: bits = kArray; break;
            case Json::value_t::object: bits = kObject; break;
            default: break;
        }
        if (!(bits & node.types)) return false;
    }
    if (node.enumeration >= 0) {
        const Json& allowed = enums_[size_t(node.enumeration)];
        if (std::none_of(allowed.begin(), allowed.end(), [&](const Json& v) { return strictly_equal(v, value); }))
            return false;
    }
    switch (value.type()) {
        case Json::value_t::object: return check_object(node, value);
        case Json::value_t::array:
            if (node.items != kAnything) {
                for (const auto& item : value) {
                    if (!check(node.items, item)) return false;
                }
            }
            if (node.unique_items) {
                for (size_t i = 0; i + 1 < value.size(); ++i) {
                    for (size_t j = i + 1; j < value.size(); ++j) {
                        if (strictly_equal(value[i], value[j])) return false;
                    }
                }
            }
            return true;
        case Json::value_t::string: return matches(node, value.get_ref<const std::string&>());
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float: {
            double number = as_number(value);
            if (node.minimum && number < *node.minimum) return false;
            if (node.maximum && number > *node.maximum) return false;
            return true;
        }
        default: return true;
    }
}

}  // namespace hako::project
