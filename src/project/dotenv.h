// This file declares the .env reader (the project's .env, --env-file and a
// service's env_file): KEY=VALUE lines with Compose's quoting, comments,
// escapes and ${VAR} interpolation.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/sys/error.h"

namespace hako::project {

// Where a .env file looks up variables it does not set itself (nullopt: unset).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses a .env text:
//   - KEY=VALUE lines; blank lines and lines starting with # are skipped; an
//     `export ` prefix is allowed; spaces around = are allowed;
//   - unquoted values are trimmed, and an inline comment (# after a space or
//     tab) is cut off;
//   - 'single quotes' are literal; "double quotes" understand \n \t \r \" \\ \$
//     (other backslashes are kept); quoted values may span lines; after the
//     closing quote only spaces and a # comment may follow;
//   - unquoted and double-quoted values are interpolated (${VAR}, ${VAR:-d}, ...,
//     $$ for a literal $) against the keys set earlier in the same file, then
//     `lookup`; single-quoted values and \$ are not;
//   - a bare `KEY` (no =) takes KEY's value from `lookup`, and is left out when
//     lookup has none;
//   - a key set twice keeps its first position and its last value.
// Keys look like [A-Za-z_][A-Za-z0-9_.-]*. A malformed line is an Error
// "FILE:LINE: what is wrong". CRLF line ends and a UTF-8 BOM are accepted.
Result<std::vector<std::pair<std::string, std::string>>> parse_dotenv(std::string_view text,
                                                                      const std::string& filename,
                                                                      const EnvLookup& lookup);

// Reads `file` (at most 16 MiB, text only) and parses it with parse_dotenv.
Result<std::vector<std::pair<std::string, std::string>>> load_dotenv(const std::filesystem::path& file,
                                                                     const EnvLookup& lookup);

}  // namespace hako::project
