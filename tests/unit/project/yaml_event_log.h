// This file holds a yaml-cpp event handler that writes every event (kind, mark,
// tag, anchor, value) as one line, so that the fast event source and yaml-cpp's
// parser can be compared event for event (fast_yaml_test.cpp, yaml_diff_fuzz.cpp).
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <optional>
#include <sstream>
#include <string>

#include "src/project/fast_yaml.h"

namespace hako::project::testing {

class EventLog final : public YAML::EventHandler {
public:
    std::string text;

    void OnDocumentStart(const YAML::Mark& m) override { line("DocStart", m); }
    void OnDocumentEnd() override { text += "DocEnd\n"; }
    void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { line("Null", m, "", a); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override { line("Alias", m, "", a); }
    void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a, const std::string& v) override {
        line("Scalar", m, tag, a);
        text += "  value=" + escape(v) + "\n";
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                         YAML::EmitterStyle::value style) override {
        line(style == YAML::EmitterStyle::Flow ? "FlowSeq" : "Seq", m, tag, a);
    }
    void OnSequenceEnd() override { text += "SeqEnd\n"; }
    void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                    YAML::EmitterStyle::value style) override {
        line(style == YAML::EmitterStyle::Flow ? "FlowMap" : "Map", m, tag, a);
    }
    void OnMapEnd() override { text += "MapEnd\n"; }
    void OnAnchor(const YAML::Mark& m, const std::string& name) override { line("Anchor " + name, m); }

private:
    void line(const std::string& kind, const YAML::Mark& m, const std::string& tag = "", YAML::anchor_t a = 0) {
        text += kind + " " + std::to_string(m.pos) + ":" + std::to_string(m.line) + ":" + std::to_string(m.column) +
                " tag=" + tag + " anchor=" + std::to_string(a) + "\n";
    }
    static std::string escape(const std::string& v) {
        std::string out;
        for (char c : v) {
            if (c == '\n')
                out += "\\n";
            else if (static_cast<unsigned char>(c) < 0x20)
                out += "\\x" + std::to_string(int(c));
            else
                out += c;
        }
        return out;
    }
};

// yaml-cpp's events for `text`, or nullopt when it throws.
inline std::optional<std::string> yaml_cpp_events(const std::string& text) {
    EventLog log;
    try {
        std::istringstream in(text);
        YAML::Parser parser(in);
        while (parser.HandleNextDocument(log)) {
        }
    } catch (const YAML::Exception&) {
        return std::nullopt;
    }
    return log.text;
}

// The fast source's events for `text`, or nullopt when it declines.
inline std::optional<std::string> fast_events(const std::string& text) {
    EventLog log;
    if (!fast_yaml_parse(text, log)) return std::nullopt;
    return log.text;
}

}  // namespace hako::project::testing
