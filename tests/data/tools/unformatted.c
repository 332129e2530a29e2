/* unformatted.c - input of the style check's own test (tests/CMakeLists.txt,
 * style.clang_format_catches): a file .clang-format would write otherwise,
 * which the check must refuse. */
int   badly_spaced ( int x ){ return x*2 ; }
