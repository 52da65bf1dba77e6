/*
 * bcryptprimitives.c — a stand-in for Windows' bcryptprimitives.dll, for
 * running sotto.exe under wine in tests only (wine 8 lacks the DLL; Go 1.24+
 * executables import ProcessPrng from it; Windows 10+ has it).
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's SystemFunction036).
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 *
 * then copy it into the wine prefix's drive_c/windows/system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
