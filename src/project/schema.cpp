// This file implements validate_schema: the embedded Compose schema is parsed
// once, each document is checked by QuickSchema, and only one it rejects by
// valijson, whose flat error list is condensed into one short message per failing place, phrased from the schema itself (expected types, enum
// values, the form a pattern stands for).
#include "src/project/schema.h"

#include "src/project/quick_schema.h"

#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace hako {
extern const std::string_view compose_schema_json;  // generated from schema/compose.schema.json
}

namespace hako::project {
namespace {

using valijson::adapters::NlohmannJsonAdapter;

// The schema as JSON to phrase messages from, and as QuickSchema for the
// verdict on most files.
struct ParsedSchema {
    Json raw;
    std::unique_ptr<QuickSchema> quick;  // null: valijson checks every file
    std::string error;  // why the embedded schema could not be used, if it could not
};

// The schema compiled by valijson, to validate a file QuickSchema rejects (or
// every file, should QuickSchema not cover the schema) and collect its errors.
struct CompiledSchema {
    valijson::Schema schema;
    std::string error;
};

bool is_extension(std::string_view key) { return key.substr(0, 2) == "x-"; }

// The schema without its `"patternProperties": {"^x-": {}}` entries. valijson
// compiles a std::regex for patternProperties each time it visits an object,
// which made that one rule most of the cost of checking a large file; the
// document's x- keys are removed before the check instead (same meaning).
Json without_extension_patterns(const Json& schema) {
    if (schema.is_array()) {
        Json out = Json::array();
        for (const auto& item : schema) out.push_back(without_extension_patterns(item));
        return out;
    }
    if (!schema.is_object()) return schema;
    Json out = Json::object();
    for (const auto& [key, value] : schema.items()) {
        if (key == "patternProperties" && value.is_object()) {
            Json patterns = value;
            patterns.erase("^x-");
            if (!patterns.empty()) out[key] = without_extension_patterns(patterns);
        } else {
            out[key] = without_extension_patterns(value);
        }
    }
    return out;
}

bool has_extension_keys(const Json& value) {
    if (value.is_object()) {
        for (const auto& [key, child] : value.items()) {
            if (is_extension(key) || has_extension_keys(child)) return true;
        }
    } else if (value.is_array()) {
        for (const auto& child : value) {
            if (has_extension_keys(child)) return true;
        }
    }
    return false;
}

// Takes the x- keys (at any depth) out of a document for the check and puts
// them back when it goes: extensions are allowed everywhere and never checked,
// and moving them costs nothing next to copying a large document without them.
class ParkedExtensions {
public:
    explicit ParkedExtensions(Json& value) { park(value); }
    ~ParkedExtensions() {
        for (auto it = parked_.rbegin(); it != parked_.rend(); ++it) (*it->object)[it->key] = std::move(it->value);
    }
    ParkedExtensions(const ParkedExtensions&) = delete;
    ParkedExtensions& operator=(const ParkedExtensions&) = delete;

private:
    struct Entry {
        Json* object;
        std::string key;
        Json value;
    };
    void park(Json& value) {
        if (value.is_object()) {
            for (auto it = value.begin(); it != value.end();) {
                if (is_extension(it.key())) {
                    parked_.push_back({&value, it.key(), std::move(*it)});
                    it = value.erase(it);
                } else {
                    park(*it);
                    ++it;
                }
            }
        } else if (value.is_array()) {
            for (auto& child : value) park(child);
        }
    }
    std::vector<Entry> parked_;
};

std::unique_ptr<ParsedSchema> parse_schema() {
    auto parsed = std::make_unique<ParsedSchema>();
    try {
        parsed->raw = Json::parse(compose_schema_json);
        parsed->quick = QuickSchema::compile(parsed->raw);
    } catch (const std::exception& e) {
        parsed->error = e.what();
    }
    return parsed;
}

// Parsed on first use; a function-local static is initialised exactly once
// even when several threads get here together.
const ParsedSchema& parsed_schema() {
    static const std::unique_ptr<ParsedSchema> instance = parse_schema();
    return *instance;
}

std::unique_ptr<CompiledSchema> compile_schema() {
    auto compiled = std::make_unique<CompiledSchema>();
    try {
        // Without `^x-` patterns (see without_extension_patterns); made here, for
        // the files QuickSchema rejects, not at every load.
        Json lean = without_extension_patterns(parsed_schema().raw);
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        parser.populateSchema(NlohmannJsonAdapter(lean), compiled->schema);
    } catch (const std::exception& e) {
        compiled->error = e.what();
    }
    return compiled;
}

const CompiledSchema& compiled_schema() {
    static const std::unique_ptr<CompiledSchema> instance = compile_schema();
    return *instance;
}

// Finds the schema that applies to a place in the document, following $ref,
// properties, patternProperties, additionalProperties and items. The schema
// is written without oneOf, so each place has at most one schema.
class SchemaNavigator {
public:
    explicit SchemaNavigator(const Json& root) : root_(root) {}

    const Json* resolve(const Json* node) const {
        for (int depth = 0; node && node->is_object() && depth < 16; ++depth) {
            auto ref = node->find("$ref");
            if (ref == node->end() || !ref->is_string()) return node;
            const std::string& target = ref->get_ref<const std::string&>();
            if (target.rfind("#/", 0) != 0) return nullptr;
            Json::json_pointer pointer(target.substr(1));
            if (!root_.contains(pointer)) return nullptr;
            node = &root_.at(pointer);
        }
        return node && node->is_object() ? node : nullptr;
    }

    // The schema for member `key` of an object checked against `node`.
    const Json* member(const Json* node, const std::string& key) {
        node = resolve(node);
        if (!node) return nullptr;
        if (auto properties = node->find("properties"); properties != node->end()) {
            if (auto it = properties->find(key); it != properties->end()) return resolve(&*it);
        }
        if (auto patterns = node->find("patternProperties"); patterns != node->end()) {
            for (const auto& [pattern, schema] : patterns->items()) {
                if (matches(pattern, key)) return resolve(&schema);
            }
        }
        if (auto additional = node->find("additionalProperties");
            additional != node->end() && additional->is_object()) {
            return resolve(&*additional);
        }
        return nullptr;
    }

    const Json* item(const Json* node) const {
        node = resolve(node);
        if (!node) return nullptr;
        auto items = node->find("items");
        return items != node->end() ? resolve(&*items) : nullptr;
    }

    // Whether `key` is named by properties or patternProperties of `node`.
    bool declares(const Json* node, const std::string& key) {
        node = resolve(node);
        if (!node) return false;
        if (auto properties = node->find("properties");
            properties != node->end() && properties->contains(key)) {
            return true;
        }
        if (auto patterns = node->find("patternProperties"); patterns != node->end()) {
            for (const auto& [pattern, schema] : patterns->items()) {
                if (matches(pattern, key)) return true;
            }
        }
        return false;
    }

    bool matches(const std::string& pattern, const std::string& text) {
        auto it = regexes_.find(pattern);
        if (it == regexes_.end()) it = regexes_.emplace(pattern, std::regex(pattern)).first;
        return std::regex_search(text, it->second);
    }

private:
    const Json& root_;
    std::map<std::string, std::regex> regexes_;
};

// A place in the document named by valijson's context ("<root>", "[services]",
// "[web]", "[ports]", "[0]"): its path as written in messages, its value and
// the schema that applies there.
struct Place {
    std::string path;
    const Json* value = nullptr;
    const Json* schema = nullptr;
};

Place locate(const std::vector<std::string>& context, const Json& document,
             const Json& schema_root, SchemaNavigator& navigator) {
    Place place{"", &document, &schema_root};
    for (size_t i = 1; i < context.size(); ++i) {
        std::string_view token = context[i];
        if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
            token = token.substr(1, token.size() - 2);
        }
        std::string key(token);
        const Json* value = place.value;
        if (value && value->is_array()) {
            size_t index = 0;
            bool numeric = !key.empty() && key.size() < 10 &&
                           std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (numeric) index = std::stoul(key);
            place.path = path_index(place.path, index);
            place.value = numeric && index < value->size() ? &(*value)[index] : nullptr;
            place.schema = place.schema ? navigator.item(place.schema) : nullptr;
        } else {
            place.path = path_join(place.path, key);
            if (value && value->is_object()) {
                auto it = value->find(key);
                place.value = it != value->end() ? &*it : nullptr;
            } else {
                place.value = nullptr;
            }
            place.schema = place.schema ? navigator.member(place.schema, key) : nullptr;
        }
    }
    return place;
}

std::string type_phrase(std::string_view type) {
    if (type == "object") return "a mapping";
    if (type == "array") return "a list";
    if (type == "null") return "null";
    if (type == "integer") return "an integer";
    if (type == "string") return "a string";
    if (type == "number") return "a number";
    if (type == "boolean") return "a boolean";
    return std::string(type);
}

std::string value_type(const Json& value) {
    switch (value.type()) {
        case Json::value_t::object: return "a mapping";
        case Json::value_t::array: return "a list";
        case Json::value_t::null: return "null";
        case Json::value_t::string: return "a string";
        case Json::value_t::boolean: return "a boolean";
        case Json::value_t::number_float: return "a number";
        default: return "an integer";
    }
}

// "a", "a or b", "a, b or c"
std::string join_alternatives(const std::vector<std::string>& words) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
        out += words[i];
    }
    return out;
}

// A value as it appears in a message: JSON text, shortened when long.
std::string quote(const Json& value) {
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The declared property closest to a misspelt key, if one is close enough.
std::string closest_property(const Json* schema, const std::string& key) {
    if (!schema) return {};
    auto properties = schema->find("properties");
    if (properties == schema->end()) return {};
    std::string best;
    size_t best_distance = key.size() <= 3 ? 1 : 2;
    for (const auto& [name, unused] : properties->items()) {
        size_t distance = edit_distance(key, name);
        if (distance <= best_distance && (best.empty() || distance < best_distance)) {
            best = name;
            best_distance = distance;
        }
    }
    return best;
}

struct Finding {
    std::string path;
    std::string message;
    bool type_error = false;
};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// Text between the first pair of `open`/`close` after `from`, e.g. the key in
// "...constraints: 'imag'."
std::string between(std::string_view text, std::string_view from, char open, char close) {
    size_t start = text.find(from);
    if (start == std::string_view::npos) return {};
    start = text.find(open, start + from.size());
    if (start == std::string_view::npos) return {};
    size_t end = text.rfind(close);
    if (end == std::string_view::npos || end <= start) return {};
    return std::string(text.substr(start + 1, end - start - 1));
}

std::string schema_text(const Json* schema, const char* key) {
    if (!schema) return {};
    auto it = schema->find(key);
    return it != schema->end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Unknown keys of an object whose schema forbids additional properties: one
// finding per key, at the key's own path.
void explain_unknown_keys(const Place& place, SchemaNavigator& navigator, std::vector<Finding>& findings) {
    if (!place.value || !place.value->is_object()) return;
    const Json* schema = navigator.resolve(place.schema);
    for (const auto& [key, unused] : place.value->items()) {
        if (navigator.declares(schema, key)) continue;
        std::string message = "additional property \"" + key + "\" is not allowed";
        std::string suggestion = closest_property(schema, key);
        if (!suggestion.empty()) message += " (did you mean \"" + suggestion + "\"?)";
        findings.push_back({path_join(place.path, key), std::move(message)});
    }
}

// Keys of a map that its propertyNames pattern rejects (a service called
// "web app"). valijson fails propertyNames without saying why, so the names
// are checked again here.
bool explain_names(const Place& place, SchemaNavigator& navigator, std::vector<Finding>& findings) {
    if (!place.value || !place.value->is_object()) return false;
    const Json* schema = navigator.resolve(place.schema);
    if (!schema || !schema->contains("propertyNames")) return false;
    const Json* names = navigator.resolve(&(*schema)["propertyNames"]);
    std::string pattern = schema_text(names, "pattern");
    if (pattern.empty()) return false;
    std::string expected = schema_text(names, "description");
    bool found = false;
    for (const auto& [key, unused] : place.value->items()) {
        if (navigator.matches(pattern, key)) continue;
        findings.push_back({path_join(place.path, key),
                            "invalid name \"" + key + "\"" + (expected.empty() ? "" : ": " + expected)});
        found = true;
    }
    return found;
}

bool has_finding_under(const std::vector<Finding>& findings, const std::string& path) {
    for (const auto& finding : findings) {
        if (finding.path.compare(0, path.size(), path) != 0) continue;
        if (finding.path.size() == path.size() || finding.path[path.size()] == '.' || finding.path[path.size()] == '[') {
            return true;
        }
    }
    return false;
}

// valijson fails propertyNames without an error of its own, leaving only the
// wrapper ("property 'volumes' failed"): check names wherever a wrapper
// points, and give any other wrapper with nothing beneath it a generic error.
void explain_silent_failures(std::vector<Place>& wrapped, SchemaNavigator& navigator, std::vector<Finding>& findings) {
    std::stable_sort(wrapped.begin(), wrapped.end(),
                     [](const Place& a, const Place& b) { return a.path.size() > b.path.size(); });
    for (const auto& place : wrapped) {
        bool named = explain_names(place, navigator, findings);
        if (!named && !has_finding_under(findings, place.path)) {
            findings.push_back({place.path, "does not match the Compose schema"});
        }
    }
}

// Turns one valijson error into findings; wrapper errors ("failed to validate
// item #2") give none, since the error they wrap is reported where it is.
void explain(const valijson::ValidationResults::Error& error, const Json& document, const Json& schema_root,
             SchemaNavigator& navigator, std::vector<Finding>& findings, std::vector<Place>& wrapped) {
    const std::string& text = error.description;
    Place place = locate(error.context, document, schema_root, navigator);
    const Json* schema = navigator.resolve(place.schema);

    if (starts_with(text, "Value type not permitted")) {
        std::vector<std::string> expected;
        if (schema && schema->contains("type")) {
            const Json& types = (*schema)["type"];
            if (types.is_string()) expected.push_back(type_phrase(types.get<std::string>()));
            for (const auto& type : types.is_array() ? types : Json::array()) {
                if (type.is_string()) expected.push_back(type_phrase(type.get<std::string>()));
            }
        }
        std::string message = expected.empty() ? "has the wrong type" : "must be " + join_alternatives(expected);
        if (place.value) message += ", not " + value_type(*place.value);
        findings.push_back({place.path, std::move(message), true});
    } else if (starts_with(text, "Object contains a property that could not be validated")) {
        size_t before = findings.size();
        explain_unknown_keys(place, navigator, findings);
        if (findings.size() == before) {
            std::string key = between(text, "constraints:", '\'', '\'');
            findings.push_back({path_join(place.path, key), "additional property \"" + key + "\" is not allowed"});
        }
    } else if (starts_with(text, "Missing required property")) {
        findings.push_back({place.path, "missing required property \"" + between(text, "property", '\'', '\'') + "\""});
    } else if (starts_with(text, "Failed to match regex")) {
        std::string form = schema_text(schema, "description");
        if (form.empty()) form = "/" + schema_text(schema, "pattern") + "/";
        std::string shown = place.value ? quote(*place.value) : std::string("value");
        findings.push_back({place.path, shown + " does not match " + form});
    } else if (starts_with(text, "Failed to match against any enum values")) {
        std::vector<std::string> allowed;
        if (schema && schema->contains("enum")) {
            for (const auto& value : (*schema)["enum"]) allowed.push_back(quote(value));
        }
        std::string message = allowed.empty() ? "is not an allowed value" : "must be one of " + join_alternatives(allowed);
        if (place.value) message += ", not " + quote(*place.value);
        findings.push_back({place.path, std::move(message)});
    } else if (starts_with(text, "Expected number greater than")) {
        std::string bound = schema && schema->contains("minimum") ? (*schema)["minimum"].dump() : "the minimum";
        findings.push_back({place.path, "must be at least " + bound});
    } else if (starts_with(text, "Expected number less than")) {
        std::string bound = schema && schema->contains("maximum") ? (*schema)["maximum"].dump() : "the maximum";
        findings.push_back({place.path, "must be at most " + bound});
    } else if (starts_with(text, "String should be no fewer than")) {
        findings.push_back({place.path, "must not be empty"});
    } else if (starts_with(text, "Elements at indexes #")) {
        // "Elements at indexes #1 and #3 violate uniqueness constraint."
        size_t first = std::strtoul(text.c_str() + text.find('#') + 1, nullptr, 10);
        size_t second = std::strtoul(text.c_str() + text.rfind('#') + 1, nullptr, 10);
        std::string shown;
        if (place.value && place.value->is_array() && second < place.value->size()) {
            shown = quote((*place.value)[second]) + " ";
        }
        findings.push_back({path_index(place.path, second),
                            shown + "is a duplicate of item [" + std::to_string(first) + "]"});
    } else if (starts_with(text, "Failed to validate against schema associated with property name")) {
        std::vector<std::string> child = error.context;
        child.push_back("[" + between(text, "property name", '\'', '\'') + "]");
        wrapped.push_back(locate(child, document, schema_root, navigator));
    } else if (starts_with(text, "Failed to validate") || starts_with(text, "Cannot validate item")) {
        // A wrapper: the nested error carries the real reason.
    } else {
        findings.push_back({place.path, text});
    }
}

}  // namespace

void validate_schema(const Document& document, Diagnostics& diagnostics) {
    const ParsedSchema& parsed = parsed_schema();
    // Most files are valid: QuickSchema says so in one walk, x- keys and all.
    if (parsed.error.empty() && parsed.quick && parsed.quick->valid(document.value)) return;

    auto file = std::make_shared<const std::string>(document.file);
    const CompiledSchema& compiled = compiled_schema();
    std::string unusable = !parsed.error.empty() ? parsed.error : compiled.error;
    if (!unusable.empty()) {
        diagnostics.error(Mark{file}, "", "internal error: the built-in Compose schema is unusable: " + unusable);
        return;
    }

    std::vector<Finding> findings;
    try {
        // Every caller owns its documents (none is a const object), and the
        // parked keys are back in place before this function returns.
        Json& value = const_cast<Json&>(document.value);
        std::optional<ParkedExtensions> parked;
        if (has_extension_keys(value)) parked.emplace(value);
        const Json* checked = &value;
        NlohmannJsonAdapter target(*checked);
        // valijson's verdict stands: a file it accepts has no errors to report.
        valijson::Validator thorough(valijson::Validator::kStrongTypes);
        valijson::ValidationResults results;
        if (thorough.validate(compiled.schema, target, &results)) return;
        SchemaNavigator navigator(parsed.raw);
        std::vector<Place> wrapped;  // children named by wrapper errors
        for (const auto& error : results) explain(error, *checked, parsed.raw, navigator, findings, wrapped);
        explain_silent_failures(wrapped, navigator, findings);
    } catch (const std::exception& e) {
        diagnostics.error(Mark{file}, "", std::string("schema validation failed: ") + e.what());
        return;
    }

    // One message per place: a wrong type says everything there is to say
    // about its place, and the same message is never repeated.
    std::set<std::string> mistyped;
    for (const auto& finding : findings) {
        if (finding.type_error) mistyped.insert(finding.path);
    }
    std::set<std::pair<std::string, std::string>> seen;
    struct Located {
        Mark mark;
        Finding finding;
    };
    std::vector<Located> located;
    for (auto& finding : findings) {
        if (!finding.type_error && mistyped.count(finding.path)) continue;
        if (!seen.emplace(finding.path, finding.message).second) continue;
        Mark mark = document.marks.find(finding.path);
        if (!mark.known()) mark = Mark{file};
        located.push_back({std::move(mark), std::move(finding)});
    }
    if (located.empty()) {
        // valijson said no but gave no reason this file can explain.
        located.push_back({Mark{file}, {"", "does not match the Compose schema"}});
    }
    auto position = [](const Mark& mark) {
        return std::pair(mark.line > 0 ? mark.line : INT_MAX, mark.column);
    };
    std::stable_sort(located.begin(), located.end(), [&](const Located& a, const Located& b) {
        if (position(a.mark) != position(b.mark)) return position(a.mark) < position(b.mark);
        return a.finding.path < b.finding.path;
    });
    for (auto& entry : located) {
        diagnostics.error(std::move(entry.mark), std::move(entry.finding.path), std::move(entry.finding.message));
    }
}

SchemaVerdicts schema_verdicts(const Json& value) {
    SchemaVerdicts verdicts;
    const ParsedSchema& parsed = parsed_schema();
    const CompiledSchema& compiled = compiled_schema();
    if (!parsed.error.empty() || !compiled.error.empty()) return verdicts;
    verdicts.quick_available = parsed.quick != nullptr;
    if (parsed.quick) verdicts.quick = parsed.quick->valid(value);
    Json copy = value;
    ParkedExtensions parked(copy);
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    verdicts.valijson = validator.validate(compiled.schema, NlohmannJsonAdapter(copy), nullptr);
    return verdicts;
}

SchemaPreparation::SchemaPreparation() {
    try {
        thread_ = std::thread([] { parsed_schema(); });
    } catch (const std::system_error&) {
        // No thread to be had: the first check compiles the schema itself.
    }
}

SchemaPreparation::~SchemaPreparation() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace hako::project
