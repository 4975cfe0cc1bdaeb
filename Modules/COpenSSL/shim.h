// The parts of OpenSSL the platform uses: CRLs and CMS SignedData for the national PKI, which
// swift-certificates does not provide, and P-256 arithmetic with a precomputed table for a
// public key that verifies often (see docs/architecture.md, "Chosen dependencies").
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// Precomputes multiples of `group`'s generator, as OpenSSL does for the standard base point.
///
/// OpenSSL 3 marks `EC_GROUP_precompute_mult` deprecated with the rest of the low-level EC tuning
/// calls, yet it remains the only way to give the P-256 method (`ecp_nistz256`) its comb table for
/// another point, which makes a multiple of that point as quick as one of the base point.
static inline int sn_ec_group_precompute_mult(EC_GROUP *group, BN_CTX *context) {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    return EC_GROUP_precompute_mult(group, context);
#pragma clang diagnostic pop
}
