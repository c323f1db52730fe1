"""The common recipe's preprocessing: Python tokenisation, every text padded to the maximum length."""


def tokenize_padded(texts, label_ids, hf_tokenizer, max_length: int):
    """Tokenises all texts up front with the Hugging Face tokenizer, `padding="max_length"`.

    Args:
        texts: The texts.
        label_ids: Their label ids.
        hf_tokenizer: A `transformers.BertTokenizerFast`.
        max_length: Tokens per text, special tokens included; longer texts are truncated.

    Returns:
        `(features, labels)`: int32 arrays `input_ids`, `attention_mask`, `token_type_ids`
        `[n, max_length]`, and int32 labels `[n]`.
    """
    import numpy as np

    enc = hf_tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_length,
                       return_tensors="np")
    features = {k: enc[k].astype(np.int32) for k in ("input_ids", "attention_mask", "token_type_ids")}
    return features, np.asarray(label_ids, np.int32)
