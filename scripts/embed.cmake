# Writes INPUT into OUTPUT as a C++ string constant hako::SYMBOL, so the binary
# carries its own copy of a data file (the Compose schema) and needs nothing at run time.
file(READ ${INPUT} content)
string(LENGTH "${content}" length)
set(chunks "")
# Raw string literals are split in chunks to stay under compiler literal limits.
set(pos 0)
while(pos LESS length)
  string(SUBSTRING "${content}" ${pos} 8000 chunk)
  string(APPEND chunks "R\"hako_embed(${chunk})hako_embed\"\n")
  math(EXPR pos "${pos} + 8000")
endwhile()
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by scripts/embed.cmake; do not edit.\n#include <string_view>\nnamespace hako {\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} =\n${chunks};\n}\n")
