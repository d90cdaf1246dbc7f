/* Test-only: Rust's std for Windows imports ProcessPrng from bcryptprimitives.dll, which
   Wine 8 (Debian 12) lacks, so every Rust exe fails to start there (status c0000135). This
   one-function stand-in, placed next to the exe under test, answers it with RtlGenRandom.
   Never shipped: real Windows (10 and later) has the real DLL. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  return RtlGenRandom(data, (ULONG)length);
}
