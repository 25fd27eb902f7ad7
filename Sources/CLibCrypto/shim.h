// Debian's OpenSSL libcrypto (libssl-dev): the SHA-256 of the hash chain. Its SHA256_Init, _Update
// and _Final hash on a context the caller holds (on the stack), with the CPU's SHA instructions;
// OpenSSL 3 marks them deprecated in favour of EVP, which costs a third more per hash of an event
// (see docs/design.md, "SHA-256").
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
