// The parts of OpenSSL the national PKI uses: CRLs and CMS SignedData, which swift-certificates
// does not provide (see docs/architecture.md, "Chosen dependencies").
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
