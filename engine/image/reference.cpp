// This file implements reference parsing (see reference.h) following the grammar
// of github.com/distribution/reference, without regular expressions.
#include "engine/image/reference.h"

#include <cctype>

#include "engine/sys/digest.h"

namespace hako::image {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | [-]+
bool valid_path_component(std::string_view c) {
    if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
    size_t i = 0;
    while (i < c.size()) {
        if (is_lower_alnum(c[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < c.size() && !is_lower_alnum(c[i])) ++i;
        std::string_view sep = c.substr(start, i - start);
        bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    }
    return true;
}

// domain := host[:port], host components [a-zA-Z0-9-]+ separated by dots (or an
// IPv6 literal in brackets).
bool valid_domain(std::string_view d) {
    if (d.empty()) return false;
    std::string_view host = d;
    size_t colon = d.rfind(':');
    if (!d.empty() && d.front() == '[') {
        size_t close = d.find(']');
        if (close == std::string_view::npos) return false;
        host = d.substr(0, close + 1);
        std::string_view rest = d.substr(close + 1);
        if (rest.empty()) return true;
        if (rest.front() != ':') return false;
        colon = close + 1;
    } else if (colon != std::string_view::npos) {
        host = d.substr(0, colon);
    }
    if (colon != std::string_view::npos) {
        std::string_view port = d.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    }
    if (host.front() == '[') return true;
    size_t pos = 0;
    while (pos <= host.size()) {
        size_t dot = host.find('.', pos);
        if (dot == std::string_view::npos) dot = host.size();
        std::string_view label = host.substr(pos, dot - pos);
        if (label.empty()) return false;
        for (char c : label) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
        }
        if (label.front() == '-' || label.back() == '-') return false;
        pos = dot + 1;
    }
    return true;
}

bool valid_tag(std::string_view t) {
    if (t.empty() || t.size() > 128) return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(t.front())) return false;
    for (char c : t) {
        if (!(word(c) || c == '.' || c == '-')) return false;
    }
    return true;
}

}  // namespace

std::string Reference::str() const {
    std::string out = name();
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

std::string familiar_name(std::string_view name) {
    std::string_view n = name;
    std::string prefix = std::string(kDefaultDomain) + "/";
    if (n.substr(0, prefix.size()) == prefix) {
        n.remove_prefix(prefix.size());
        if (n.substr(0, 8) == "library/" && n.find('/', 8) == std::string_view::npos) n.remove_prefix(8);
    }
    return std::string(n);
}

std::string Reference::familiar_name() const { return image::familiar_name(name()); }

std::string Reference::familiar() const {
    std::string out = familiar_name();
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

Result<Reference> parse_reference(std::string_view text) {
    auto bad = [&](std::string why) {
        return Error("invalid reference format \"" + std::string(text) + "\": " + why);
    };
    if (text.empty()) return bad("empty name");
    if (text.size() > 4096) return bad("too long");
    Reference ref;
    std::string_view rest = text;
    if (size_t at = rest.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(rest.substr(at + 1));
        rest = rest.substr(0, at);
        if (!sys::is_sha256_digest(ref.digest)) return bad("bad digest \"" + ref.digest + "\"");
    }
    size_t last_slash = rest.rfind('/');
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        ref.tag = std::string(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
        if (!valid_tag(ref.tag)) return bad("bad tag \"" + ref.tag + "\"");
    }
    if (rest.empty()) return bad("empty name");

    std::string_view remainder = rest;
    size_t first_slash = rest.find('/');
    if (first_slash != std::string_view::npos) {
        std::string_view first = rest.substr(0, first_slash);
        if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
            first == "localhost" || first.front() == '[' ||
            first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
            if (!valid_domain(first)) return bad("bad registry \"" + std::string(first) + "\"");
            ref.domain = std::string(first);
            remainder = rest.substr(first_slash + 1);
        }
    }
    if (ref.domain.empty()) ref.domain = kDefaultDomain;
    if (ref.domain == "index.docker.io") ref.domain = kDefaultDomain;

    size_t pos = 0;
    while (pos <= remainder.size()) {
        size_t slash = remainder.find('/', pos);
        if (slash == std::string_view::npos) slash = remainder.size();
        std::string_view component = remainder.substr(pos, slash - pos);
        if (component.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
            return bad("repository name must be lowercase");
        }
        if (!valid_path_component(component)) return bad("bad name component \"" + std::string(component) + "\"");
        pos = slash + 1;
    }
    ref.path = std::string(remainder);
    if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos) {
        ref.path = "library/" + ref.path;
    }
    if (ref.name().size() > 255) return bad("repository name is longer than 255 characters");
    return ref;
}

Result<Reference> parse_reference_with_default_tag(std::string_view text) {
    Reference ref = TRY(parse_reference(text));
    if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
    return ref;
}

}  // namespace hako::image
