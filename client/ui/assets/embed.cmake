# embed.cmake - a file of the console's assets as a C array, so that the
# program carries them and the console works without a network:
#   cmake -DIN=FILE -DOUT=FILE.c -DNAME=SYMBOL -P embed.cmake
# gives `const unsigned char SYMBOL[]` (NUL-terminated) and `SYMBOL_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR bytes "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
get_filename_component(base "${IN}" NAME)
file(WRITE "${OUT}"
  "/* ${base} as bytes, made by embed.cmake at build time. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const unsigned char ${NAME}[] = {${body}0};\n"
  "const size_t ${NAME}_len = ${bytes};\n")
