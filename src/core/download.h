/* download.h: fetch models and data files over HTTP(S) with libcurl: a
 * Hugging Face sentence-transformers model folder, or one file checked
 * against its sha256. Nothing half-written is ever left at the destination. */
#ifndef BB_DOWNLOAD_H
#define BB_DOWNLOAD_H

#include "status.h"

/* Download the files a sentence-transformers model needs from
 * $HF_ENDPOINT (default https://huggingface.co)/{repo_id}/resolve/{revision}/{file}
 * into dest_dir. repo_id is "org/name" (or "name"); revision NULL means "main".
 * Required: config.json, model.safetensors, and tokenizer.json or vocab.txt;
 * the others (tokenizer_config.json, vocab.txt, modules.json,
 * sentence_bert_config.json, 1_Pooling/config.json, special_tokens_map.json,
 * config_sentence_transformers.json) are skipped when the server has none.
 * Files go to a temporary sibling folder that is renamed to dest_dir only when
 * complete; dest_dir must not exist yet (an empty folder is replaced). Parent
 * folders are created. The folder also gets ".biasbench-source": the origin and
 * a sha256sum-style list of the files.
 * $HF_TOKEN, when set, is sent as a bearer token (to the endpoint host only).
 * $BIASBENCH_CONNECT_TIMEOUT: connect timeout in seconds (default 15).
 * Errors: BB_E_INPUT for a malformed repo id or revision; BB_E_IO for an
 * unreachable host ("cannot reach huggingface.co: ...; fetch the model by other
 * means and pass --model DIR"), HTTP errors (404 -> "repository or file not
 * found"), an existing dest_dir, or a write failure. */
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
