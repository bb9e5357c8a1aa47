/*
 * abi_check.c: libsoftskf.so seen from C, through include/skf.h.
 *
 * At compile time, the structures' sizes and offsets are those of the
 * standard (#pragma pack(1), 4-byte ULONG). At run time, against a blank
 * device named by argv[1] in $SOFTSKF_DIR: device authentication with SM4
 * through the key's own session key functions, an application, PINs, an
 * SM2 key pair, a digest with Z, a signature and its verification, a file,
 * and cancelling a wait for a device event.
 *
 * On success it prints "x=… y=… msg=… r=… s=…" in hex (the public key, the
 * message and the signature), for the Rust test to verify with an outside
 * SM2 implementation.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skf.h"

_Static_assert(sizeof(ULONG) == 4, "ULONG is 4 bytes");
_Static_assert(sizeof(BOOL) == 4, "BOOL is 4 bytes");
_Static_assert(sizeof(VERSION) == 2, "VERSION");
_Static_assert(sizeof(DEVINFO) == 294, "DEVINFO");
_Static_assert(offsetof(DEVINFO, Manufacturer) == 2, "DEVINFO.Manufacturer");
_Static_assert(offsetof(DEVINFO, Label) == 130, "DEVINFO.Label");
_Static_assert(offsetof(DEVINFO, SerialNumber) == 162, "DEVINFO.SerialNumber");
_Static_assert(offsetof(DEVINFO, AlgSymCap) == 198, "DEVINFO.AlgSymCap");
_Static_assert(offsetof(DEVINFO, DevAuthAlgId) == 210, "DEVINFO.DevAuthAlgId");
_Static_assert(offsetof(DEVINFO, MaxBufferSize) == 226, "DEVINFO.MaxBufferSize");
_Static_assert(offsetof(DEVINFO, Reserved) == 230, "DEVINFO.Reserved");
_Static_assert(sizeof(ECCPUBLICKEYBLOB) == 132, "ECCPUBLICKEYBLOB");
_Static_assert(offsetof(ECCPUBLICKEYBLOB, XCoordinate) == 4, "ECCPUBLICKEYBLOB.X");
_Static_assert(offsetof(ECCPUBLICKEYBLOB, YCoordinate) == 68, "ECCPUBLICKEYBLOB.Y");
_Static_assert(sizeof(ECCSIGNATUREBLOB) == 128, "ECCSIGNATUREBLOB");
_Static_assert(offsetof(ECCSIGNATUREBLOB, s) == 64, "ECCSIGNATUREBLOB.s");
_Static_assert(sizeof(ECCCIPHERBLOB) == 165, "ECCCIPHERBLOB with Cipher[1]");
_Static_assert(offsetof(ECCCIPHERBLOB, HASH) == 128, "ECCCIPHERBLOB.HASH");
_Static_assert(offsetof(ECCCIPHERBLOB, CipherLen) == 160, "ECCCIPHERBLOB.CipherLen");
_Static_assert(offsetof(ECCCIPHERBLOB, Cipher) == 164, "ECCCIPHERBLOB.Cipher");
_Static_assert(sizeof(ENVELOPEDKEYBLOB) == 373, "ENVELOPEDKEYBLOB");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, cbEncryptedPriKey) == 12, "ENVELOPEDKEYBLOB.cbEncryptedPriKey");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, PubKey) == 76, "ENVELOPEDKEYBLOB.PubKey");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, ECCCipherBlob) == 208, "ENVELOPEDKEYBLOB.ECCCipherBlob");
_Static_assert(sizeof(FILEATTRIBUTE) == 44, "FILEATTRIBUTE");
_Static_assert(offsetof(FILEATTRIBUTE, FileSize) == 32, "FILEATTRIBUTE.FileSize");
_Static_assert(offsetof(FILEATTRIBUTE, WriteRights) == 40, "FILEATTRIBUTE.WriteRights");
_Static_assert(sizeof(BLOCKCIPHERPARAM) == 44, "BLOCKCIPHERPARAM");

static int failures = 0;

/* Checks that a call answered `want`. */
#define EXPECT(call, want)                                                        \
    do {                                                                          \
        ULONG got_ = (call);                                                      \
        if (got_ != (ULONG)(want)) {                                              \
            fprintf(stderr, "%s:%d: %s = 0x%08X, expected 0x%08X\n", __FILE__,    \
                    __LINE__, #call, (unsigned)got_, (unsigned)(want));           \
            failures++;                                                           \
        }                                                                         \
    } while (0)

#define CHECK(condition)                                                          \
    do {                                                                          \
        if (!(condition)) {                                                       \
            fprintf(stderr, "%s:%d: %s is false\n", __FILE__, __LINE__, #condition); \
            failures++;                                                           \
        }                                                                         \
    } while (0)

static void print_hex(const char *label, const BYTE *bytes, size_t len) {
    printf("%s=", label);
    for (size_t i = 0; i < len; i++) {
        printf("%02x", bytes[i]);
    }
    printf(" ");
}

/* SM4-ECB of one block with the device authentication key, computed by the
 * key's own session key functions, as vendor middleware does. */
static ULONG encrypt_challenge(DEVHANDLE dev, const BYTE block[16], BYTE out[16]) {
    BYTE key[16];
    memcpy(key, "1234567812345678", 16);
    HANDLE session = NULL;
    ULONG rv = SKF_SetSymmKey(dev, key, SGD_SM4_ECB, &session);
    if (rv != SAR_OK) {
        return rv;
    }
    BLOCKCIPHERPARAM param;
    memset(&param, 0, sizeof param);
    rv = SKF_EncryptInit(session, param);
    if (rv == SAR_OK) {
        ULONG len = 16;
        rv = SKF_Encrypt(session, (BYTE *)block, 16, out, &len);
        if (rv == SAR_OK && len != 16) {
            rv = SAR_FAIL;
        }
    }
    SKF_CloseHandle(session);
    return rv;
}

static ULONG waited = 0;
static atomic_int wait_over = 0;

static void *wait_for_event(void *unused) {
    (void)unused;
    char name[64];
    ULONG len = sizeof name;
    ULONG event = 0;
    waited = SKF_WaitForDevEvent(name, &len, &event);
    atomic_store(&wait_over, 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: abi_check DEVICE-NAME\n");
        return 2;
    }
    char *device = argv[1];

    /* The device is listed, by the size protocol. */
    ULONG size = 0;
    EXPECT(SKF_EnumDev(TRUE, NULL, &size), SAR_OK);
    char *list = calloc(1, size);
    EXPECT(SKF_EnumDev(TRUE, list, &size), SAR_OK);
    CHECK(strcmp(list, device) == 0);
    free(list);

    DEVHANDLE dev = NULL;
    EXPECT(SKF_ConnectDev(device, &dev), SAR_OK);

    DEVINFO info;
    memset(&info, 0, sizeof info);
    EXPECT(SKF_GetDevInfo(dev, &info), SAR_OK);
    CHECK(strcmp(info.Manufacturer, "certhall softskf") == 0);
    CHECK(info.DevAuthAlgId == SGD_SM4_ECB);
    CHECK(info.AlgHashCap == SGD_SM3);

    /* A blank key: an application needs device authentication first. */
    HAPPLICATION app = NULL;
    EXPECT(SKF_CreateApplication(dev, "certhall", "12345678", 10, "123456", 10,
                                 SECURE_ANYONE_ACCOUNT, &app),
           SAR_USER_NOT_LOGGED_IN);
    BYTE block[16] = {0};
    BYTE answer[16];
    EXPECT(SKF_GenRandom(dev, block, 8), SAR_OK);
    EXPECT(encrypt_challenge(dev, block, answer), SAR_OK);
    EXPECT(SKF_DevAuth(dev, answer, sizeof answer), SAR_OK);
    EXPECT(SKF_CreateApplication(dev, "certhall", "12345678", 10, "123456", 10,
                                 SECURE_ANYONE_ACCOUNT, &app),
           SAR_OK);

    ULONG retry = 0;
    EXPECT(SKF_VerifyPIN(app, USER_TYPE, "654321", &retry), SAR_PIN_INCORRECT);
    CHECK(retry == 9);
    EXPECT(SKF_VerifyPIN(app, USER_TYPE, "123456", &retry), SAR_OK);
    ULONG max = 0, remaining = 0;
    BOOL is_default = FALSE;
    EXPECT(SKF_GetPINInfo(app, USER_TYPE, &max, &remaining, &is_default), SAR_OK);
    CHECK(max == 10 && remaining == 10 && is_default == TRUE);

    /* A signing key pair and a signature of the SM3 digest with Z. */
    HCONTAINER container = NULL;
    EXPECT(SKF_CreateContainer(app, "sign", &container), SAR_OK);
    ECCPUBLICKEYBLOB key;
    memset(&key, 0, sizeof key);
    EXPECT(SKF_GenECCKeyPair(container, SGD_SM2_1, &key), SAR_OK);
    CHECK(key.BitLen == 256);
    ULONG kind = 0;
    EXPECT(SKF_GetContainerType(container, &kind), SAR_OK);
    CHECK(kind == 2);

    const char *message = "signed through the C ABI";
    HANDLE hash = NULL;
    EXPECT(SKF_DigestInit(dev, SGD_SM3, &key, NULL, 0, &hash), SAR_OK);
    BYTE digest[32];
    ULONG digest_len = 0;
    EXPECT(SKF_Digest(hash, (BYTE *)message, (ULONG)strlen(message), NULL, &digest_len), SAR_OK);
    CHECK(digest_len == 32);
    EXPECT(SKF_Digest(hash, (BYTE *)message, (ULONG)strlen(message), digest, &digest_len), SAR_OK);
    EXPECT(SKF_CloseHandle(hash), SAR_OK);

    ECCSIGNATUREBLOB signature;
    memset(&signature, 0, sizeof signature);
    EXPECT(SKF_ECCSignData(container, digest, sizeof digest, &signature), SAR_OK);
    EXPECT(SKF_ECCVerify(dev, &key, digest, sizeof digest, &signature), SAR_OK);
    digest[0] ^= 1;
    EXPECT(SKF_ECCVerify(dev, &key, digest, sizeof digest, &signature), SAR_FAIL);

    /* A file, and its attributes through FILEATTRIBUTE. */
    EXPECT(SKF_CreateFile(app, "notes", 32, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT), SAR_OK);
    EXPECT(SKF_WriteFile(app, "notes", 0, (BYTE *)"hello", 5), SAR_OK);
    FILEATTRIBUTE attribute;
    memset(&attribute, 0, sizeof attribute);
    EXPECT(SKF_GetFileInfo(app, "notes", &attribute), SAR_OK);
    CHECK(strcmp(attribute.FileName, "notes") == 0);
    CHECK(attribute.FileSize == 32 && attribute.ReadRights == SECURE_ANYONE_ACCOUNT &&
          attribute.WriteRights == SECURE_USER_ACCOUNT);
    BYTE read[8];
    ULONG read_len = sizeof read;
    EXPECT(SKF_ReadFile(app, "notes", 0, 5, read, &read_len), SAR_OK);
    CHECK(read_len == 5 && memcmp(read, "hello", 5) == 0);

    /* A wait for a device event ends when cancelled (nothing else plugs
     * devices into this directory). */
    EXPECT(SKF_EnumDev(TRUE, NULL, &size), SAR_OK);
    pthread_t waiter;
    CHECK(pthread_create(&waiter, NULL, wait_for_event, NULL) == 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    /* A cancel ends the waits in progress: repeated in case the thread had
     * not started waiting yet. */
    for (int i = 0; i < 50 && !atomic_load(&wait_over); i++) {
        EXPECT(SKF_CancelWaitForDevEvent(), SAR_OK);
        nanosleep(&pause, NULL);
    }
    CHECK(atomic_load(&wait_over));
    if (atomic_load(&wait_over)) {
        pthread_join(waiter, NULL);
    }
    CHECK(waited == SAR_NOT_EVENTERR);

    EXPECT(SKF_CloseContainer(container), SAR_OK);
    EXPECT(SKF_CloseApplication(app), SAR_OK);
    EXPECT(SKF_DisConnectDev(dev), SAR_OK);

    if (failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    print_hex("x", key.XCoordinate + 32, 32);
    print_hex("y", key.YCoordinate + 32, 32);
    print_hex("msg", (const BYTE *)message, strlen(message));
    print_hex("r", signature.r + 32, 32);
    print_hex("s", signature.s + 32, 32);
    printf("\n");
    return 0;
}
