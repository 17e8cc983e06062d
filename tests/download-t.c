/* download-t.c: libcurl downloads without the internet: file:// URLs with
 * right and wrong sha256, a fake Hugging Face hub served from file:// through
 * HF_ENDPOINT, unreachable hosts, and that no half-written file or folder is
 * ever left behind. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/download.h"
#include "core/sha256.h"
#include "tap.h"

static char g_root[PATH_MAX]; /* absolute scratch folder */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        bail("cannot write %s", path);
}

static char *read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Entries in dir whose name starts with prefix (leftover temporaries). */
static int count_prefix(const char *dir, const char *prefix)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix)))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_file_url(void)
{
    char src[PATH_MAX + 32], url[PATH_MAX + 64], dest[PATH_MAX + 32], sum[BB_SHA256_HEX_LEN];
    struct bb_error err = {0};
    const char *text = "biasbench download test\n";
    snprintf(src, sizeof src, "%s/source.txt", g_root);
    write_file(src, text);
    bb_sha256_hex(text, strlen(text), sum);
    snprintf(url, sizeof url, "file://%s", src);
    snprintf(dest, sizeof dest, "%s/out/sub/copy.txt", g_root);

    is_int(BB_OK, bb_download_file(url, dest, sum, &err), "file:// download with the right sha256");
    is_string(text, read_file(dest), "the copy has the source's bytes");
    remove(dest);

    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    is_int(BB_E_IO, bb_download_file(url, dest, wrong, &err), "wrong sha256 -> BB_E_IO");
    contains(err.msg, "sha256 mismatch", "error says sha256 mismatch");
    contains(err.msg, sum, "error names the sha256 found");
    ok(!exists(dest), "no file left at the destination");
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/out/sub", g_root);
    is_int(0, count_prefix(dir, "copy.txt.part-"), "no temporary file left behind");

    is_int(BB_E_INPUT, bb_download_file(url, dest, "abc", &err), "malformed expected sha256 -> BB_E_INPUT");
    snprintf(url, sizeof url, "file://%s/no-such-file", g_root);
    is_int(BB_E_IO, bb_download_file(url, dest, NULL, &err), "missing source -> BB_E_IO");
    contains(err.msg, "not found", "error says not found");
    ok(!exists(dest) && count_prefix(dir, "copy.txt.part-") == 0, "nothing left after a failed download");
}

/* A fake hub: <root>/hub/org/<name>/resolve/main/... */
static void make_fake_repo(const char *name, bool with_weights)
{
    char path[PATH_MAX + 128];
    const char *dirs[] = {"hub", "hub/org", NULL};
    for (int i = 0; dirs[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", g_root, dirs[i]);
        mkdir(path, 0777);
    }
    snprintf(path, sizeof path, "%s/hub/org/%s", g_root, name);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/hub/org/%s/resolve", g_root, name);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/hub/org/%s/resolve/main", g_root, name);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/hub/org/%s/resolve/main/1_Pooling", g_root, name);
    mkdir(path, 0777);
    const char *files[][2] = {
        {"config.json", "{\"model_type\": \"bert\"}\n"},
        {"tokenizer.json", "{\"model\": {}}\n"},
        {"1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}\n"},
        {"model.safetensors", "fake weights\n"},
    };
    for (int i = 0; i < 4; i++) {
        if (!with_weights && !strcmp(files[i][0], "model.safetensors"))
            continue;
        snprintf(path, sizeof path, "%s/hub/org/%s/resolve/main/%s", g_root, name, files[i][0]);
        write_file(path, files[i][1]);
    }
}

static void test_fake_hub(void)
{
    char endpoint[PATH_MAX + 16], dest[PATH_MAX + 32], path[PATH_MAX + 64], models[PATH_MAX + 16];
    struct bb_error err = {0};
    make_fake_repo("tiny", true);
    make_fake_repo("noweights", false);
    snprintf(endpoint, sizeof endpoint, "file://%s/hub/", g_root);
    setenv("HF_ENDPOINT", endpoint, 1);
    snprintf(models, sizeof models, "%s/models", g_root);
    snprintf(dest, sizeof dest, "%s/tiny", models);

    is_int(BB_OK, bb_download_hf_model("org/tiny", NULL, dest, &err), "model from a file:// hub");
    if (err.code)
        diag("%s", err.msg);
    snprintf(path, sizeof path, "%s/model.safetensors", dest);
    is_string("fake weights\n", read_file(path), "model.safetensors copied");
    snprintf(path, sizeof path, "%s/1_Pooling/config.json", dest);
    ok(exists(path), "1_Pooling/config.json copied");
    snprintf(path, sizeof path, "%s/vocab.txt", dest);
    ok(!exists(path), "optional vocab.txt absent upstream is skipped");
    char sum[BB_SHA256_HEX_LEN];
    bb_sha256_hex("fake weights\n", 13, sum);
    snprintf(path, sizeof path, "%s/.biasbench-source", dest);
    contains(read_file(path), sum, ".biasbench-source records the weights' sha256");
    is_int(BB_E_IO, bb_download_hf_model("org/tiny", NULL, dest, &err), "existing destination -> BB_E_IO");
    contains(err.msg, "already exists", "error says it already exists");

    snprintf(dest, sizeof dest, "%s/missing", models);
    is_int(BB_E_IO, bb_download_hf_model("org/missing", "main", dest, &err), "unknown repository -> BB_E_IO");
    contains(err.msg, "repository or file not found", "error says repository or file not found");
    ok(!exists(dest), "no folder left for an unknown repository");

    snprintf(dest, sizeof dest, "%s/noweights", models);
    is_int(BB_E_IO, bb_download_hf_model("org/noweights", NULL, dest, &err), "repository without weights -> BB_E_IO");
    contains(err.msg, "model.safetensors", "error names model.safetensors");
    ok(!exists(dest), "no folder left when a required file is missing");
    is_int(0, count_prefix(models, "noweights.part"), "temporary folder removed");

    is_int(BB_E_INPUT, bb_download_hf_model("../etc", NULL, dest, &err), "repo id with '..' -> BB_E_INPUT");
    is_int(BB_E_INPUT, bb_download_hf_model("org/tiny", "a b", dest, &err), "revision with a space -> BB_E_INPUT");
}

static void test_unreachable(void)
{
    char dest[PATH_MAX + 32];
    struct bb_error err = {0};
    /* Port 1 on the loopback refuses at once: deterministic, no network needed. */
    setenv("HF_ENDPOINT", "http://127.0.0.1:1", 1);
    snprintf(dest, sizeof dest, "%s/models/refused", g_root);
    is_int(BB_E_IO, bb_download_hf_model("sentence-transformers/all-MiniLM-L6-v2", NULL, dest, &err),
           "refused connection -> BB_E_IO");
    contains(err.msg, "cannot reach 127.0.0.1", "error says cannot reach the host");
    contains(err.msg, "pass --model DIR", "error tells how to go on");
    ok(!exists(dest), "no destination folder left");

    /* The real hub: here there is no internet. Where there is, the model must arrive whole. */
    unsetenv("HF_ENDPOINT");
    setenv("BIASBENCH_CONNECT_TIMEOUT", "10", 1);
    snprintf(dest, sizeof dest, "%s/models/all-MiniLM-L6-v2", g_root);
    enum bb_status st = bb_download_hf_model("sentence-transformers/all-MiniLM-L6-v2", NULL, dest, &err);
    if (st == BB_OK) {
        char path[PATH_MAX + 64];
        diag("huggingface.co is reachable: checking the downloaded folder instead");
        snprintf(path, sizeof path, "%s/model.safetensors", dest);
        ok(exists(path), "model.safetensors downloaded");
        snprintf(path, sizeof path, "%s/tokenizer.json", dest);
        ok(exists(path), "tokenizer.json downloaded");
        snprintf(path, sizeof path, "%s/config.json", dest);
        ok(exists(path), "config.json downloaded");
        return;
    }
    is_int(BB_E_IO, st, "huggingface.co unreachable -> BB_E_IO");
    contains(err.msg, "cannot reach huggingface.co", "error says cannot reach huggingface.co");
    ok(!exists(dest), "no destination folder left");
}

int main(void)
{
    plan(34);
    if (!realpath(test_tmp_dir(), g_root))
        bail("cannot resolve %s", test_tmp_dir());
    unsetenv("HF_TOKEN");
    test_file_url();
    test_fake_hub();
    test_unreachable();
    return 0;
}
