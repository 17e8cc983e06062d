/* fuzz_config.c: libFuzzer harness for a model folder's configuration
 * (src/model/config.c): config.json, modules.json, the Pooling module's
 * config.json and sentence_bert_config.json.
 *
 * Input parts, split on "\n#@@\n": 0 config.json, 1 modules.json, 2
 * 1_Pooling/config.json, 3 sentence_bert_config.json; a file whose part is
 * empty or not given is absent (each optional file's absence is a path of its own). */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "model/config.h"

BB_FUZZ_TARGET(config)
{
    static const char *const names[] = {"m/config.json", "m/modules.json",
                                        "m/1_Pooling/config.json", "m/sentence_bert_config.json"};
    struct bb_fuzz_part part[4];
    bb_fuzz_files(data, size, names, part, 4);
    char dir[4096];
    bb_fuzz_path(dir, sizeof dir, "m");
    struct bb_model_config cfg;
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_model_config_load(dir, &cfg, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("config", st, &err);
    /* config.h: max_seq_length is sentence_bert_config.json's (2 ..
     * max_position_embeddings), else max_position_embeddings (>= 1; the model
     * refuses lengths below 2 itself) */
    if (!st && (cfg.max_seq_length < 1 || cfg.max_seq_length > cfg.max_position_embeddings))
        abort(); /* a length the model cannot embed */
    return 0;
}
