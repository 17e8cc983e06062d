/* embed.cl: token + position + token-type embedding sum.
 * Global (c rounded up, n_tok), local (64, 1): one work-item per output. */
__kernel void bb_embed(__global const int *ids,       // (n_tok)
                       __global const int *pos,       // (n_tok)
                       __global const int *types,     // (n_tok), read only if has_types
                       int has_types,
                       __global const float *word,    // (n_word, c)
                       __global const float *pos_emb, // (n_pos, c)
                       __global const float *type_emb,// (n_type, c)
                       __global float *out,           // (n_tok, c)
                       int n_tok, int c, int n_word, int n_pos, int n_type)
{
    int j = get_global_id(0), i = get_global_id(1);
    if (j >= c || i >= n_tok)
        return;
    /* Out-of-range ids are clamped, never read out of bounds. */
    int a = clamp(ids[i], 0, n_word - 1);
    int p = clamp(pos[i], 0, n_pos - 1);
    int d = has_types ? clamp(types[i], 0, n_type - 1) : 0;
    out[i * c + j] = word[a * c + j] + pos_emb[p * c + j] + type_emb[d * c + j];
}
