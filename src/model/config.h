/* config.h: a Hugging Face encoder folder's configuration: config.json
 * (architecture sizes) plus the sentence-transformers files (modules.json,
 * the pooling config, sentence_bert_config.json) that decide pooling,
 * normalisation and the sequence length. */
#ifndef BB_MODEL_CONFIG_H
#define BB_MODEL_CONFIG_H

#include <stdbool.h>

#include "backend/backend.h"
#include "core/status.h"

struct bb_model_config {
    char model_type[32];       /* config.json model_type, e.g. "bert" */
    int hidden_size;           /* C */
    int num_hidden_layers;
    int num_attention_heads;   /* C / head_dim */
    int intermediate_size;     /* FFN width */
    int max_position_embeddings;
    int type_vocab_size;       /* 0 when config.json has none (MPNet) */
    int vocab_size;
    double layer_norm_eps;
    int relative_attention_num_buckets; /* MPNet's relative position table rows; 0 if absent */
    /* sentence-transformers */
    enum bb_pool_mode pooling; /* MEAN when modules.json is absent */
    bool normalize;            /* a Normalize module follows pooling */
    int max_seq_length;        /* sentence_bert_config.json; else max_position_embeddings */
};

/* Read dir/config.json and the sentence-transformers files. A malformed or
 * missing config.json -> BB_E_INPUT / BB_E_IO; hidden_act other than "gelu",
 * or pooling modes other than mean/cls -> BB_E_UNSUPPORTED. Missing optional
 * sentence-transformers files give the defaults with a warning. */
enum bb_status bb_model_config_load(const char *dir, struct bb_model_config *cfg,
                                    struct bb_error *err);

#endif
