#!/usr/bin/env bash
# Fails when an executable of ours exports an Asio or cpprestsdk symbol that libcpprest also
# defines (issue 18).
#
# An executable's dynamic symbol table holds every symbol a linked shared library also defines, and
# the dynamic linker binds the library's own calls to the executable's copy. For inline and template
# code (all of Asio is header-only) that means libcpprest runs our instantiations, compiled with our
# defines (BOOST_ASIO_NO_DEPRECATED changes how handlers are allocated and invoked), our NDEBUG and
# our optimisation level: at -O0 every cpprestsdk request crashed in scheduler::do_run_one. The
# project compiles with hidden visibility (and BOOST_ASIO_DISABLE_VISIBILITY, or Asio forces its
# own symbols public) so nothing of ours can interpose; this keeps it so.
#
# usage: check_no_interposition.sh LIBCPPREST EXECUTABLE...
# An executable that does not link libcpprest shares nothing with it and passes.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 LIBCPPREST EXECUTABLE..." >&2
  exit 2
fi
library=$1
shift
for tool in nm readelf c++filt; do
  command -v "$tool" >/dev/null || { echo "$tool not found (binutils)" >&2; exit 2; }
done

defined_dynamic() {  # mangled names of the defined dynamic symbols of $1, sorted
  nm -D --defined-only "$1" | awk '{print $NF}' | sort -u
}

library_symbols=$(mktemp)
trap 'rm -f "$library_symbols"' EXIT
defined_dynamic "$library" >"$library_symbols"
[[ -s $library_symbols ]] || { echo "no dynamic symbols in $library" >&2; exit 2; }
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')

failed=0
for executable in "$@"; do
  if ! readelf -d "$executable" | grep -q "(NEEDED).*\[$soname\]"; then
    echo "ok: $executable does not link $soname"
    continue
  fi
  # Defined by both, except data the executable only holds a copy relocation for (libcpprest's own
  # object, placed in the executable: no code of ours). Failing are Asio and cpprestsdk names: the
  # header-only code whose configuration differs. Boost.System's and Boost.Exception's classes are
  # public by Boost's design (BOOST_SYMBOL_VISIBLE) and configured alike on both sides (no macros).
  shared=$(comm -12 "$library_symbols" \
             <(comm -23 <(defined_dynamic "$executable") \
                        <(readelf -rW "$executable" | awk '$3 == "R_X86_64_COPY" {sub(/@.*/, "", $5); print $5}' | sort -u)) |
           c++filt | grep -E 'boost::asio::|(^|[^[:alnum:]_:])(pplx|Concurrency|web|utility)::' || true)
  if [[ -n $shared ]]; then
    count=$(wc -l <<<"$shared")
    echo "FAIL: $executable exports $count symbol(s) that $soname also defines; the dynamic linker binds"
    echo "      libcpprest's calls to our copies (hidden visibility and BOOST_ASIO_DISABLE_VISIBILITY). First ones:"
    head -n 20 <<<"$shared" | cut -c1-200 | sed 's/^/        /'
    failed=1
  else
    echo "ok: $executable exports no Asio or cpprestsdk symbol that $soname defines"
  fi
done
exit $failed
