// Sanitizer defaults linked into every fuzz target: an undefined-behaviour report
// stops the run (libFuzzer saves the input as a crash), with a stack trace;
// known third-party reports are suppressed (ubsan.supp, whose absolute path
// CMake passes as VR_UBSAN_SUPPRESSIONS).
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" VR_UBSAN_SUPPRESSIONS;
}
