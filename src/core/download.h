/* download.h: fetch models and data files over HTTP(S) with libcurl: a
 * Hugging Face sentence-transformers model folder, or one file checked
 * against its sha256. Nothing half-written is ever left at the destination. */
#ifndef BB_DOWNLOAD_H
#define BB_DOWNLOAD_H

#include "status.h"

/* Download the files a sentence-transformers model needs from
 * $HF_ENDPOINT (default https://huggingface.co) into dest_dir. repo_id is
 * "org/name" (or "name"); revision NULL means "main". The repository listing
 * (/api/models/{repo_id}/tree/{revision}) names the files, their sizes and the
 * weights' sha256; a listing with an absolute or '..' path is refused whole,
 * and each kind of file has a size limit (docs/downloads.md). Without a
 * listing (404) the usual names are tried: config.json, model.safetensors and
 * tokenizer.json or vocab.txt are required, the others optional.
 * Files collect in "dest_dir.part" (locked against a second fetch) and are
 * checked against the listing, X-Linked-Size and X-Linked-Etag; the folder is
 * renamed to dest_dir only when complete. dest_dir must not exist yet (an empty
 * folder is replaced). A cut-off weights file stays in dest_dir.part and the
 * next call resumes it (Range). dest_dir gets ".biasbench-source": the origin
 * and a sha256sum-style list of the files.
 * $HF_TOKEN, when set, is sent as a bearer token (to the endpoint host only).
 * $BIASBENCH_CONNECT_TIMEOUT: connect timeout in seconds (default 15).
 * $BIASBENCH_CA_BUNDLE: PEM certificates to trust; TLS verification is always on.
 * Errors: BB_E_INPUT for a malformed repo id or revision or a refused listing;
 * BB_E_IO for an unreachable host ("cannot reach huggingface.co: ...; fetch the
 * model by other means and pass --model DIR"), HTTP errors (404 -> "repository
 * or file not found"), a file over its limit or failing its checks, an
 * existing dest_dir, or a write failure. */
enum bb_status bb_download_hf_model(const char *repo_id, const char *revision, const char *dest_dir,
                                    struct bb_error *err);

/* Download url (http, https or file) to dest via a temporary file in the same
 * folder, renamed into place only when complete and, if expected_sha256 (64
 * hex digits) is not NULL, only when the content's sha256 matches; otherwise
 * nothing is left at dest. Errors are BB_E_IO (BB_E_INPUT for a malformed
 * expected_sha256) and name the URL. */
enum bb_status bb_download_file(const char *url, const char *dest, const char *expected_sha256,
                                struct bb_error *err);

#endif
