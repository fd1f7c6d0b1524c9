// This file implements the compose-file decoder (see yaml_document.h) in two
// passes: an event source (fast_yaml.h for the common subset, else yaml-cpp's
// event parser) feeds a compact node tree (marks, tags,
// styles, anchors, with expansion sizes and depths computed bottom-up so that
// limits hold before anything is expanded), then one walk turns each document
// into JSON, applying aliases, merge keys, interpolation and typing.
#include "src/project/yaml_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <cmath>
#include <istream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <streambuf>
#include <tuple>
#include <unordered_map>

#include "engine/sys/file.h"
#include "src/project/fast_yaml.h"
#include "src/project/interpolate.h"

namespace hako::project {

namespace {

// ---------------------------------------------------------------- node tree

enum class Kind : uint8_t { Null, Scalar, Sequence, Mapping, Alias };
enum class Style : uint8_t { Plain, SingleQuoted, DoubleQuoted, Block };

constexpr uint32_t kNoNode = std::numeric_limits<uint32_t>::max();
constexpr const char* kYamlTagPrefix = "tag:yaml.org,2002:";

struct Node {
    Kind kind = Kind::Null;
    Style style = Style::Plain;
    bool unterminated = false;  // a quoted scalar that runs to the end of the file
    bool complete = false;      // its end event has been seen
    int line = 0;               // 0-based, as yaml-cpp reports them
    int column = 0;
    size_t pos = 0;
    uint32_t target = kNoNode;  // Alias: the anchored node
    std::string tag;            // yaml-cpp's: "?" plain, "!" non-plain, "!reset", "tag:yaml.org,2002:str"...
    std::string text;           // Scalar
    std::vector<uint32_t> children;  // Sequence: items; Mapping: key, value, key, value, ...
    uint64_t expanded = 1;      // nodes once aliases and merges are expanded (an upper bound)
    uint64_t depth = 0;         // collections nested in it (itself included) once aliases are expanded
    bool shared = false;        // an alias names it or a node it is in: converted more than once
};

struct Tree {
    std::vector<Node> nodes;  // nodes[0] is the root
};

// Thrown from inside the event handler to stop yaml-cpp at a limit.
struct BuildError {
    YAML::Mark mark;
    std::string message;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

uint64_t saturating_add(uint64_t a, uint64_t b) {
    return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

// Builds one Tree per document from yaml-cpp's events.
class TreeBuilder final : public YAML::EventHandler {
public:
    TreeBuilder(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

    std::vector<Tree> documents;

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (documents.size() > text_.size() + 1) {
            throw BuildError{mark, "malformed YAML: the parser produced more documents than the text can hold"};
        }
        documents.emplace_back();
        // One node per 4 bytes is more than YAML can hold; reserving (address
        // space only, pages are touched as used) avoids regrowing the vector.
        if (documents.size() == 1) documents.back().nodes.reserve(text_.size() / 4 + 16);
        anchors_.clear();
        anchor_names_.clear();
        stack_.clear();
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { finish(add(Kind::Null, mark, anchor)); }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (anchor >= anchors_.size() || anchors_[anchor] == kNoNode) throw BuildError{mark, "unknown alias"};
        uint32_t target = anchors_[anchor];
        if (!nodes()[target].complete) {
            throw BuildError{mark, "alias *" + anchor_names_[anchor] + " refers to a node that contains it"};
        }
        uint32_t index = add(Kind::Alias, mark, YAML::NullAnchor);
        Node& node = nodes()[index];
        node.target = target;
        mark_shared(target);
        node.expanded = nodes()[target].expanded;
        node.depth = nodes()[target].depth;
        check_limits(index);
        node.complete = true;
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        uint32_t index = add(Kind::Scalar, mark, anchor);
        Node& node = nodes()[index];
        node.tag = tag;
        node.text = value;
        if (tag != "?") classify_style(node);
        finish(index);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(Kind::Sequence, mark, tag, anchor);
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(Kind::Mapping, mark, tag, anchor);
    }
    void OnMapEnd() override { close(); }

    void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_name_ = name; }

private:
    std::vector<Node>& nodes() { return documents.back().nodes; }

    uint32_t add(Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
        auto& list = nodes();
        // Every node takes at least one byte of source, so more nodes than a
        // few per byte means yaml-cpp is looping on malformed input (it can
        // emit null events forever): stop it instead of hanging.
        if (list.size() >= kNoNode - 1 || list.size() > options_.max_nodes ||
            list.size() > 4 * text_.size() + 64) {
            throw BuildError{mark, "malformed YAML: the parser produced more nodes than the text can hold"};
        }
        uint32_t index = uint32_t(list.size());
        Node& node = list.emplace_back();
        node.kind = kind;
        node.line = mark.line;
        node.column = mark.column;
        node.pos = mark.pos < 0 ? 0 : size_t(mark.pos);
        if (!stack_.empty()) list[stack_.back()].children.push_back(index);
        if (anchor != YAML::NullAnchor) {
            if (anchors_.size() <= anchor) {
                anchors_.resize(anchor + 1, kNoNode);
                anchor_names_.resize(anchor + 1);
            }
            anchors_[anchor] = index;
            anchor_names_[anchor] = pending_anchor_name_;
        }
        return index;
    }

    void open(Kind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
        uint32_t index = add(kind, mark, anchor);
        nodes()[index].tag = tag;
        stack_.push_back(index);
        if (stack_.size() > options_.max_depth) throw BuildError{mark, depth_message()};
    }

    void close() {
        uint32_t index = stack_.back();
        stack_.pop_back();
        finish(index);
    }

    // Sizes and depths bottom-up: every child (and alias target) is complete.
    void finish(uint32_t index) {
        auto& list = nodes();
        Node& node = list[index];
        uint64_t depth = 0;
        for (uint32_t child : node.children) {
            node.expanded = saturating_add(node.expanded, list[child].expanded);
            depth = std::max(depth, list[child].depth);
        }
        bool collection = node.kind == Kind::Sequence || node.kind == Kind::Mapping;
        node.depth = collection ? depth + 1 : 0;
        check_limits(index);
        node.complete = true;
    }

    void check_limits(uint32_t index) {
        const Node& node = nodes()[index];
        YAML::Mark mark;
        mark.line = node.line;
        mark.column = node.column;
        mark.pos = int(node.pos);
        if (node.depth > options_.max_depth) throw BuildError{mark, depth_message()};
        if (node.expanded > options_.max_nodes) {
            throw BuildError{mark, "the document expands to more than " + std::to_string(options_.max_nodes) +
                                       " nodes through aliases and merge keys (an alias bomb?)"};
        }
    }

    void mark_shared(uint32_t index) {
        auto& list = nodes();
        if (list[index].shared) return;
        std::vector<uint32_t> pending{index};
        while (!pending.empty()) {
            Node& node = list[pending.back()];
            pending.pop_back();
            if (node.shared) continue;  // an alias inside it shared its subtree already
            node.shared = true;
            pending.insert(pending.end(), node.children.begin(), node.children.end());
        }
    }

    std::string depth_message() const {
        return "nesting deeper than " + std::to_string(options_.max_depth) + " levels (aliases included)";
    }

    // yaml-cpp reports a non-plain scalar only as tag "!" (or its explicit
    // tag): look at the source after the node's properties to tell quoted from
    // block scalars, and catch a quote that yaml-cpp let run to end of file.
    void classify_style(Node& node) const {
        size_t i = node.pos;
        const size_t n = text_.size();
        while (i < n) {
            char c = text_[i];
            if (c == '!' && i + 1 < n && text_[i + 1] == '<') {
                size_t close = text_.find('>', i);
                i = close == std::string_view::npos ? n : close + 1;
            } else if (c == '!' || c == '&') {
                while (i < n && !is_space(text_[i])) ++i;
            } else if (is_space(c)) {
                ++i;
            } else if (c == '#') {
                while (i < n && text_[i] != '\n') ++i;
            } else {
                break;
            }
        }
        if (i >= n) return;
        char c = text_[i];
        if (c == '|' || c == '>') {
            node.style = Style::Block;
        } else if (c == '"') {
            node.style = Style::DoubleQuoted;
            node.unterminated = true;
            for (size_t j = i + 1; j < n; ++j) {
                if (text_[j] == '\\') {
                    ++j;
                } else if (text_[j] == '"') {
                    node.unterminated = false;
                    break;
                }
            }
        } else if (c == '\'') {
            node.style = Style::SingleQuoted;
            node.unterminated = true;
            for (size_t j = i + 1; j < n; ++j) {
                if (text_[j] != '\'') continue;
                if (j + 1 < n && text_[j + 1] == '\'') {
                    ++j;
                } else {
                    node.unterminated = false;
                    break;
                }
            }
        }
    }

    std::string_view text_;
    const ParseOptions& options_;
    std::vector<uint32_t> stack_;
    std::vector<uint32_t> anchors_;  // yaml-cpp's anchor id → node
    std::vector<std::string> anchor_names_;
    std::string pending_anchor_name_;
};

// Lets yaml-cpp read the caller's text without a copy.
class ViewBuffer : public std::streambuf {
public:
    explicit ViewBuffer(std::string_view text) {
        char* begin = const_cast<char*>(text.data());
        setg(begin, begin, begin + text.size());
    }
};

// ---------------------------------------------------------------- typing

std::string tag_name(const std::string& tag) {
    if (tag.rfind(kYamlTagPrefix, 0) == 0) return "!!" + tag.substr(std::char_traits<char>::length(kYamlTagPrefix));
    return tag;
}

bool is_yaml_tag(const std::string& tag, std::string_view name) {
    size_t prefix = std::char_traits<char>::length(kYamlTagPrefix);
    return tag.size() == prefix + name.size() && tag.rfind(kYamlTagPrefix, 0) == 0 &&
           std::string_view(tag).substr(prefix) == name;
}

bool is_null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_of(std::string_view s) {
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    return std::nullopt;
}

bool all_digits(std::string_view s, int base) {
    if (s.empty()) return false;
    for (char c : s) {
        bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                             : (c >= '0' && c < char('0' + base));
        if (!ok) return false;
    }
    return true;
}

// Integers of the YAML 1.2 core schema ([-+]digits, 0x.., 0o..), plus the
// 0-prefixed octal that docker compose's YAML library still reads (0440).
// Numbers outside 64 bits are not integers here (they stay strings).
std::optional<Json> int_of(std::string_view s, bool legacy_octal) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        int base = s[1] == 'x' ? 16 : 8;
        std::string_view digits = s.substr(2);
        if (!all_digits(digits, base)) return std::nullopt;
        uint64_t v = 0;
        auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
        if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
        if (v <= uint64_t(std::numeric_limits<int64_t>::max())) return Json(int64_t(v));
        return Json(v);
    }
    std::string_view digits = s;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (!all_digits(digits, 10)) return std::nullopt;
    int base = 10;
    if (legacy_octal && digits.size() > 1 && digits[0] == '0' && all_digits(digits, 8)) base = 8;
    uint64_t v = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (r.ec != std::errc()) return std::nullopt;
    if (negative) {
        if (v > uint64_t(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
        return Json(v == uint64_t(std::numeric_limits<int64_t>::max()) + 1 ? std::numeric_limits<int64_t>::min()
                                                                              : -int64_t(v));
    }
    if (v <= uint64_t(std::numeric_limits<int64_t>::max())) return Json(int64_t(v));
    return Json(v);
}

// Floats of the core schema: [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?, .inf, .nan.
std::optional<double> float_of(std::string_view s) {
    std::string_view body = s;
    bool negative = false;
    if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
        negative = body[0] == '-';
        body.remove_prefix(1);
    }
    if (body == ".inf" || body == ".Inf" || body == ".INF") {
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
    size_t i = 0, int_digits = 0, frac_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++int_digits;
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++frac_digits;
    }
    if (int_digits == 0 && frac_digits == 0) return std::nullopt;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
        size_t exp_digits = 0;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++exp_digits;
        if (exp_digits == 0) return std::nullopt;
    }
    if (i != body.size()) return std::nullopt;
    return std::strtod(std::string(s).c_str(), nullptr);
}

// A plain scalar by the core schema. `from_file`: the text is as written
// (not the result of interpolation), where 0440 reads as octal.
// A value that came out of interpolation is never null: `image: ${IMAGE}` with
// IMAGE unset is "" (as in docker compose), and "null" from a variable is text.
// nullopt: the text stays a string.
std::optional<Json> typed_plain(const std::string& text, bool from_file) {
    if (is_null_text(text)) return from_file ? Json(nullptr) : Json(text);
    if (auto b = bool_of(text)) return Json(*b);
    bool leading_zero_number = text.size() > 1 && text[0] == '0' && std::isdigit(static_cast<unsigned char>(text[1]));
    if (leading_zero_number && !from_file) return std::nullopt;  // "007" from a variable keeps its zeros
    if (auto i = int_of(text, from_file)) return i;
    if (auto f = float_of(text)) return Json(*f);
    return std::nullopt;
}

Json type_plain(const std::string& text, bool from_file) {
    if (auto typed = typed_plain(text, from_file)) return std::move(*typed);
    return text;
}

// ---------------------------------------------------------------- errors

// Collects this file's errors (deduplicated: an anchored node used several
// times reports once) into the caller's Diagnostics.
class Reporter {
public:
    explicit Reporter(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

    void error(const Mark& mark, const std::string& path, const std::string& message) {
        if (!seen_.emplace(mark.line, mark.column, message).second) return;
        diagnostics_.error(mark, path, message);
        Diagnostic d{Severity::Error, mark, path, message};
        if (!summary_.empty()) summary_ += '\n';
        summary_ += d.str();
    }
    bool failed() const { return !summary_.empty(); }
    Error to_error() const { return Error(summary_); }

private:
    Diagnostics& diagnostics_;
    std::set<std::tuple<int, int, std::string>> seen_;
    std::string summary_;
};

// ---------------------------------------------------------------- conversion

// Turns one Tree into a Document's JSON value, marks and tags. The path of
// the node being converted is one string grown and cut as the walk goes, and
// the marks go into a flat MarkTable, so a node costs no path of its own.
class Converter {
public:
    Converter(Tree& tree, Document& document, std::shared_ptr<const std::string> file,
              Interpolator* interpolator, Reporter& reporter)
        : nodes_(tree.nodes), document_(document), file_(file), interpolator_(interpolator),
          reporter_(reporter), table_(std::make_shared<MarkTable>(std::move(file))) {}

    Json convert_root() {
        table_->reserve(size_t(std::min<uint64_t>(nodes_[0].expanded, 4 * nodes_.size() + 16)));
        open_mark(0);
        Json value = convert(0);
        table_->close();
        document_.marks.set_table(std::move(table_));
        return value;
    }

private:
    struct Entry {
        std::string_view key;
        uint32_t key_node;
        uint32_t value_node;
    };

    Mark mark(uint32_t index) const { return Mark{file_, nodes_[index].line + 1, nodes_[index].column + 1}; }
    void open_mark(uint32_t index) { table_->open_key({}, nodes_[index].line + 1, nodes_[index].column + 1); }

    uint32_t resolve(uint32_t index) const {
        while (nodes_[index].kind == Kind::Alias) index = nodes_[index].target;
        return index;
    }

    void unknown_tag(uint32_t index, const std::string& path) {
        reporter_.error(mark(index), path,
                        "unknown tag " + tag_name(nodes_[index].tag) +
                            " (hako knows !reset, !override and the YAML core tags)");
    }

    // Converts a node at path_.
    Json convert(uint32_t index) {
        uint32_t r = resolve(index);
        const Node& node = nodes_[r];
        if (node.tag.size() > 1 && node.tag[0] == '!') {
            if (node.tag == "!reset") document_.tags[path_] = MergeTag::Reset;
            if (node.tag == "!override") document_.tags[path_] = MergeTag::Override;
        }
        switch (node.kind) {
            case Kind::Scalar: return convert_scalar(r);
            case Kind::Sequence: return convert_sequence(r);
            case Kind::Mapping: return convert_mapping(r);
            default: return nullptr;
        }
    }

    bool collection_tag_ok(const Node& node, std::string_view core) const {
        return node.tag == "?" || node.tag == "!" || node.tag == "!reset" || node.tag == "!override" ||
               is_yaml_tag(node.tag, core);
    }

    Json convert_sequence(uint32_t index) {
        const Node& node = nodes_[index];
        if (!collection_tag_ok(node, "seq")) unknown_tag(index, path_);
        Json out = Json::array();
        auto& items = out.get_ref<Json::array_t&>();
        items.reserve(node.children.size());
        const size_t length = path_.size();
        for (size_t i = 0; i < node.children.size(); ++i) {
            uint32_t child = node.children[i];
            char digits[24];
            digits[0] = '[';
            char* end = std::to_chars(digits + 1, digits + sizeof digits - 1, i).ptr;
            *end++ = ']';
            path_.append(digits, size_t(end - digits));
            table_->open_index(i, nodes_[child].line + 1, nodes_[child].column + 1);
            items.push_back(convert(child));
            table_->close();
            path_.resize(length);
        }
        return out;
    }

    Json convert_mapping(uint32_t index) {
        const Node& node = nodes_[index];
        if (!collection_tag_ok(node, "map")) unknown_tag(index, path_);
        Json out = Json::object();
        auto& members = out.get_ref<Json::object_t&>();
        const size_t length = path_.size();
        std::vector<Entry> scratch = take_scratch();
        const std::vector<Entry>& list = entries(index, path_, scratch, node.shared);
        for (const Entry& entry : list) {
            if (length > 0) path_ += '.';
            path_ += entry.key;
            table_->open_key(entry.key, nodes_[entry.key_node].line + 1, nodes_[entry.key_node].column + 1);
            Json value = convert(entry.value_node);
            members.emplace_hint(members.end(), std::string(entry.key), std::move(value));
            table_->close();
            path_.resize(length);
        }
        scratch_.push_back(std::move(scratch));
        return out;
    }

    // A cleared list for a mapping's entries; the walk hands it back after
    // (one per nesting level is ever allocated).
    std::vector<Entry> take_scratch() {
        if (scratch_.empty()) return {};
        std::vector<Entry> list = std::move(scratch_.back());
        scratch_.pop_back();
        list.clear();
        return list;
    }

    // The key text of a mapping entry, or nullopt (reported) when the key is
    // not a scalar.
    std::optional<std::string_view> key_text(uint32_t key_index, const std::string& path) {
        const Node& key = nodes_[resolve(key_index)];
        switch (key.kind) {
            case Kind::Null:
                reporter_.error(mark(key_index), path, "a mapping key must not be empty or null");
                return std::nullopt;
            case Kind::Sequence:
            case Kind::Mapping:
                reporter_.error(mark(key_index), path, "mapping keys must be scalars, not a " +
                                                           std::string(key.kind == Kind::Sequence ? "sequence"
                                                                                                  : "mapping"));
                return std::nullopt;
            default: break;
        }
        bool tag_ok = key.tag == "?" || key.tag == "!" || is_yaml_tag(key.tag, "str") ||
                      is_yaml_tag(key.tag, "merge") || is_yaml_tag(key.tag, "int") || is_yaml_tag(key.tag, "bool") ||
                      is_yaml_tag(key.tag, "float");
        if (!tag_ok) unknown_tag(resolve(key_index), path);
        return std::string_view(key.text);
    }

    bool is_merge_key(uint32_t key_index) const {
        const Node& key = nodes_[resolve(key_index)];
        return key.kind == Kind::Scalar &&
               ((key.tag == "?" && key.text == "<<") || is_yaml_tag(key.tag, "merge"));
    }

    // The keys of an entry list: searched in turn while few, hashed after.
    class KeySet {
    public:
        explicit KeySet(const std::vector<Entry>& list) : list_(list) {}
        const Entry* find(std::string_view key) {
            if (list_.size() <= kLinearKeys) {
                for (const Entry& entry : list_) {
                    if (entry.key == key) return &entry;
                }
                return nullptr;
            }
            for (; hashed_ < list_.size(); ++hashed_) index_.emplace(list_[hashed_].key, hashed_);
            auto it = index_.find(key);
            return it == index_.end() ? nullptr : &list_[it->second];
        }

    private:
        static constexpr size_t kLinearKeys = 16;
        const std::vector<Entry>& list_;
        std::unordered_map<std::string_view, size_t> index_;
        size_t hashed_ = 0;
    };

    // A mapping's entries with its merge keys applied: its own keys first
    // (a repeated one is an error), then each merged mapping's entries in
    // order, a key taken only from the first that has it. A mapping converted
    // more than once (`keep`: aliased, or merged) is resolved (and its errors
    // reported) once and kept; any other is resolved into `scratch`.
    const std::vector<Entry>& entries(uint32_t index, const std::string& path, std::vector<Entry>& scratch,
                                      bool keep) {
        if (!keep) {
            collect_entries(index, path, scratch);
            return scratch;
        }
        if (auto it = entries_.find(index); it != entries_.end()) return it->second;
        std::vector<Entry> kept;
        collect_entries(index, path, kept);
        return entries_.emplace(index, std::move(kept)).first->second;
    }

    void collect_entries(uint32_t index, const std::string& path, std::vector<Entry>& out) {
        const Node& node = nodes_[index];
        out.reserve(node.children.size() / 2);
        KeySet keys(out);
        std::vector<uint32_t> merges;
        for (size_t i = 0; i + 1 < node.children.size(); i += 2) {
            uint32_t key_index = node.children[i];
            uint32_t value_index = node.children[i + 1];
            auto key = key_text(key_index, path);
            if (!key) continue;
            if (is_merge_key(key_index)) {
                merges.push_back(value_index);
                continue;
            }
            if (const Entry* first = keys.find(*key)) {
                reporter_.error(mark(key_index), path_join(path, *key),
                                "duplicate key \"" + std::string(*key) + "\" (first at line " +
                                    std::to_string(nodes_[first->key_node].line + 1) + ")");
                continue;
            }
            out.push_back({*key, key_index, value_index});
        }
        for (uint32_t merge_index : merges) {
            for (uint32_t source : merge_sources(merge_index, path)) {
                std::vector<Entry> unused;
                for (const Entry& entry : entries(source, path, unused, true)) {
                    if (!keys.find(entry.key)) out.push_back(entry);
                }
            }
        }
    }

    // The mappings a `<<` value names: one mapping, or a sequence of them.
    std::vector<uint32_t> merge_sources(uint32_t value_index, const std::string& path) {
        uint32_t r = resolve(value_index);
        const Node& value = nodes_[r];
        if (value.kind == Kind::Mapping) return {r};
        if (value.kind != Kind::Sequence) {
            reporter_.error(mark(value_index), path_join(path, "<<"),
                            "the merge key \"<<\" needs a mapping or a sequence of mappings");
            return {};
        }
        std::vector<uint32_t> sources;
        for (size_t i = 0; i < value.children.size(); ++i) {
            uint32_t item = resolve(value.children[i]);
            if (nodes_[item].kind != Kind::Mapping) {
                reporter_.error(mark(value.children[i]), path_index(path_join(path, "<<"), i),
                                "the merge key \"<<\" needs a mapping or a sequence of mappings");
                continue;
            }
            sources.push_back(item);
        }
        return sources;
    }

    Json convert_scalar(uint32_t index) {
        Node& node = nodes_[index];
        const std::string& path = path_;
        if (node.unterminated) {
            reporter_.error(mark(index), path, "unterminated quoted string (the closing quote is missing)");
            return node.text;
        }
        const std::string* text = &node.text;
        std::string interpolated;
        if (interpolator_ && node.text.find('$') != std::string::npos) {
            auto result = interpolator_->interpolate(node.text, mark(index), path);
            if (!result.ok()) {
                reporter_.error(mark(index), path, result.error().message);
                return node.text;
            }
            interpolated = std::move(result).value();
            text = &interpolated;
        }
        bool from_file = text == &node.text;
        const std::string& tag = node.tag;
        if (tag == "?") {
            // A node converted once gives its text away instead of a copy.
            if (node.shared || !from_file) return type_plain(*text, from_file);
            if (auto typed = typed_plain(node.text, true)) return std::move(*typed);
            return std::move(node.text);
        }
        if (tag == "!" || is_yaml_tag(tag, "str")) {
            if (!node.shared && from_file) return std::move(node.text);
            return *text;
        }
        if (tag == "!reset" || tag == "!override") {
            return node.style == Style::Plain ? type_plain(*text, from_file) : Json(*text);
        }
        if (is_yaml_tag(tag, "int")) {
            if (auto v = int_of(*text, false)) return *v;
        } else if (is_yaml_tag(tag, "float")) {
            if (auto v = int_of(*text, false)) return double(v->is_number_unsigned() ? double(v->get<uint64_t>())
                                                                                    : double(v->get<int64_t>()));
            if (auto v = float_of(*text)) return *v;
        } else if (is_yaml_tag(tag, "bool")) {
            if (auto v = bool_of(*text)) return *v;
        } else if (is_yaml_tag(tag, "null")) {
            if (is_null_text(*text)) return nullptr;
        } else {
            unknown_tag(index, path);
            return *text;
        }
        reporter_.error(mark(index), path, "\"" + *text + "\" is not a valid " + tag_name(tag) + " value");
        return *text;
    }

    std::vector<Node>& nodes_;
    Document& document_;
    std::shared_ptr<const std::string> file_;
    Interpolator* interpolator_;
    Reporter& reporter_;
    std::shared_ptr<MarkTable> table_;
    std::string path_;  // of the node being converted
    std::unordered_map<uint32_t, std::vector<Entry>> entries_;  // of mappings converted more than once
    std::vector<std::vector<Entry>> scratch_;  // free entry lists
};

// ---------------------------------------------------------------- text checks

struct TextProblem {
    size_t offset;
    std::string message;
};

// Compose files are UTF-8 text: no NUL or other control bytes (tab, LF and CR
// aside), valid UTF-8 sequences only.
std::optional<TextProblem> check_text(std::string_view text) {
    if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
        return TextProblem{0, "not a text file hako can read: it is UTF-16 (save it as UTF-8)"};
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = bytes[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02X", c);
                return TextProblem{i, std::string("not a text file (") + (c == 0 ? "NUL byte" : "control byte ") +
                                          (c == 0 ? "" : hex) + ")"};
            }
            ++i;
            continue;
        }
        size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) low = 0xA0;
            if (c == 0xED) high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) low = 0x90;
            if (c == 0xF4) high = 0x8F;
        }
        bool valid = length != 0 && i + length <= n;
        for (size_t k = 1; valid && k < length; ++k) {
            unsigned char b = bytes[i + k];
            unsigned char lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xBF;
            valid = b >= lo && b <= hi;
        }
        if (!valid) return TextProblem{i, "not a text file (invalid UTF-8)"};
        i += length;
    }
    return std::nullopt;
}

// 0-based line and column of a byte offset.
std::pair<int, int> line_column(std::string_view text, size_t offset) {
    int line = 0;
    size_t line_start = 0;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, int(offset - line_start)};
}

// yaml-cpp's messages for a tab in indentation vary ("illegal map value",
// "end of map not found"...): when the failing line or the one before it
// indents with a tab, say so. Returns the tab's 0-based line and column.
std::optional<std::pair<int, int>> tab_indentation_near(std::string_view text, int error_line) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    for (int line = 0; line <= error_line && start <= text.size(); ++line) {
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string_view::npos ? text.size() : nl;
        lines.push_back(text.substr(start, end - start));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    int checked = 0;
    for (int line = int(lines.size()) - 1; line >= 0 && checked < 2; --line) {
        std::string_view s = lines[size_t(line)];
        size_t indent = s.find_first_not_of(" \t");
        std::string_view lead = s.substr(0, indent == std::string_view::npos ? s.size() : indent);
        size_t tab = lead.find('\t');
        if (tab != std::string_view::npos) return std::pair{line, int(tab)};
        if (indent != std::string_view::npos) ++checked;  // blank lines do not count
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<Document>> parse_documents(std::string_view text, const std::string& file,
                                              const ParseOptions& options, Diagnostics& diagnostics) {
    Reporter reporter(diagnostics);
    auto file_name = std::make_shared<const std::string>(file);
    auto mark_at = [&](int line, int column) { return Mark{file_name, line + 1, column + 1}; };

    if (text.size() > options.max_bytes) {
        reporter.error(Mark{file_name, 0, 0}, "",
                       "the file is " + std::to_string(text.size()) + " bytes, larger than the limit of " +
                           std::to_string(options.max_bytes) + " bytes");
        return reporter.to_error();
    }
    if (auto problem = check_text(text)) {
        auto [line, column] = line_column(text, problem->offset);
        reporter.error(mark_at(line, column), "", problem->message);
        return reporter.to_error();
    }
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

    std::optional<TreeBuilder> building;
    try {
        building.emplace(text, options);
        if (!options.fast_path || !fast_yaml_parse(text, *building)) {
            building.emplace(text, options);  // the fast path declined: yaml-cpp from the start
            ViewBuffer buffer(text);
            std::istream stream(&buffer);
            YAML::Parser parser(stream);
            while (parser.HandleNextDocument(*building)) {
            }
        }
    } catch (const BuildError& e) {
        reporter.error(mark_at(e.mark.line, e.mark.column), "", e.message);
        return reporter.to_error();
    } catch (const YAML::Exception& e) {
        int line = std::max(e.mark.line, 0);
        if (auto tab = tab_indentation_near(text, line)) {
            reporter.error(mark_at(tab->first, tab->second), "",
                           "tab character used for indentation; YAML needs spaces");
        } else {
            reporter.error(mark_at(line, std::max(e.mark.column, 0)), "", "YAML syntax error: " + e.msg);
        }
        return reporter.to_error();
    } catch (const std::exception& e) {
        reporter.error(Mark{file_name, 0, 0}, "", std::string("cannot parse YAML: ") + e.what());
        return reporter.to_error();
    }

    std::optional<Interpolator> local_interpolator;
    Interpolator* interpolator = options.interpolator;
    if (!interpolator && options.environment) {
        local_interpolator.emplace(*options.environment, diagnostics);
        interpolator = &*local_interpolator;
    }

    std::vector<Document> documents;
    for (Tree& tree : building->documents) {
        if (tree.nodes.empty() || tree.nodes[0].kind == Kind::Null) continue;
        Document& document = documents.emplace_back();
        document.file = file;
        Converter converter(tree, document, file_name, interpolator, reporter);
        document.value = converter.convert_root();
    }
    if (reporter.failed()) return reporter.to_error();
    return documents;
}

Result<std::vector<Document>> load_documents(const std::filesystem::path& file, const ParseOptions& options,
                                             Diagnostics& diagnostics) {
    auto text = sys::read_file(file, options.max_bytes);
    if (!text.ok()) {
        diagnostics.error(Mark{}, "", text.error().message);  // the message names the file
        return std::move(text).error();
    }
    return parse_documents(*text, file.string(), options, diagnostics);
}

}  // namespace hako::project
