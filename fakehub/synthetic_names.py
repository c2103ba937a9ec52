"""Name pools for the SYNTHETIC Hub (fakehub.synthetic): real base models, real quantizer accounts and the
word pools user fine-tunes are named from.

Everything here is plain data. The base models are real repos with their real release dates, licenses and
(where known) their real `safetensors.total`; they anchor the synthetic Hub so that its names look like the
real ones (compare ../shared/data). Every record the generator builds from them is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------------------------------
# Families: what every model of one architecture line shares
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    key: str
    model_type: str  # config.model_type, also a Hub tag
    architecture: str  # config.architectures[0]
    license: str
    context: int  # gguf.context_length
    pipeline: str | None
    # How users re-spell the family in their own repo names. "{s}" is the size token (re-spelled per
    # model: 7B, 7b, 1_5B ...). Templates with "{s}" are skipped for bases without a size in their name.
    aliases: tuple[str, ...]
    library: str = "transformers"
    children: float = 1.0  # how readily people build on it, relative to the others
    chat: bool = True  # its instruct models carry the `conversational` tag
    # The pipeline tags of its derived models, by weight, when they differ from the base's (a fill-mask BERT is
    # fine-tuned into text classifiers); empty: the family's own `pipeline`.
    tasks: tuple[tuple[str, float], ...] = ()
    downloads: float = 0.0  # log10 offset of its derived models' downloads, relative to language models'
    words: str = "llm"  # the domain of the words its derived models are named with (`DOMAIN_WORDS`)


# The tasks encoders are fine-tuned for (hf-models-2022-10: text-classification 0.14, token-classification 0.06,
# question-answering 0.03 of all models).
_TEXT_TASKS = (("text-classification", 6.0), ("token-classification", 2.5), ("question-answering", 1.2),
               ("fill-mask", 2.0), ("feature-extraction", 0.5), ("multiple-choice", 0.1))  # fmt: skip
_EMBED_TASKS = (("sentence-similarity", 3.0), ("feature-extraction", 2.0))


def _other_tasks() -> list[Family]:
    """Families of the other tasks: encoders, embeddings, translation, vision, diffusion and speech. None is
    quantized or merged (the builder turns those into fine-tunes) and their names carry no size token."""

    def f(
        key: str,
        model_type: str,
        arch: str,
        license: str,
        pipeline: str,
        aliases: tuple[str, ...],
        words: str,
        *,
        children: float,
        downloads: float,
        tasks: tuple[tuple[str, float], ...] = (),
        library: str = "transformers",
    ) -> Family:
        return Family(
            key, model_type, arch, license, 512, pipeline, aliases, library, children, False, tasks, downloads, words
        )

    st = "sentence-transformers"
    return [
        f("bert", "bert", "BertForMaskedLM", "apache-2.0", "fill-mask",
          ("bert-base-uncased", "bert-base", "bert", "BERT-base", "bert-base-cased", "bert-base-multilingual-cased",
           "bert-large-uncased"), "text", children=1.9, downloads=2.5, tasks=_TEXT_TASKS),
        f("distilbert", "distilbert", "DistilBertForMaskedLM", "apache-2.0", "fill-mask",
          ("distilbert-base-uncased", "distilbert-base-cased", "distilbert", "DistilBERT-base-uncased",
           "distilbert-base-multilingual-cased"), "text", children=1.9, downloads=2.5, tasks=_TEXT_TASKS),
        f("roberta", "roberta", "RobertaForMaskedLM", "mit", "fill-mask",
          ("roberta-base", "roberta", "RoBERTa-base", "twitter-roberta-base", "roberta-large"), "text",
          children=1.4, downloads=2.5, tasks=_TEXT_TASKS),
        f("xlm-roberta", "xlm-roberta", "XLMRobertaForMaskedLM", "mit", "fill-mask",
          ("xlm-roberta-base", "xlm-roberta-large", "xlmr-base", "XLM-RoBERTa-large"), "text",
          children=0.9, downloads=2.5, tasks=_TEXT_TASKS),
        f("deberta", "deberta-v2", "DebertaV2ForMaskedLM", "mit", "fill-mask",
          ("deberta-v3-base", "deberta-v3-large", "deberta-v3-small", "mdeberta-v3-base"), "text",
          children=0.6, downloads=2.5, tasks=_TEXT_TASKS),
        f("t5", "t5", "T5ForConditionalGeneration", "apache-2.0", "text2text-generation",
          ("flan-t5-base", "flan-t5-large", "t5-base", "flan-t5", "t5-small", "mt5-small"), "text",
          tasks=(("text2text-generation", 4.0), ("summarization", 1.0), ("translation", 1.0)),
          children=2.1, downloads=2.5),
        f("bart", "bart", "BartForSequenceClassification", "mit", "zero-shot-classification",
          ("bart-large-mnli", "bart-large", "bart", "bart-base", "bart-large-cnn"), "text",
          tasks=(("summarization", 2.0), ("text2text-generation", 2.0), ("zero-shot-classification", 1.0)),
          children=0.4, downloads=2.5),
        f("marian", "marian", "MarianMTModel", "apache-2.0", "translation",
          ("opus-mt-en-de", "opus-mt-en-fr", "opus-mt-en-es", "opus-mt-zh-en", "opus-mt-mul-en",
           "marian-finetuned-kde4-en-to-fr"), "text", children=0.6, downloads=2.8),
        f("mpnet", "mpnet", "MPNetModel", "apache-2.0", "sentence-similarity",
          ("all-mpnet-base-v2", "mpnet-base", "mpnet", "paraphrase-mpnet-base-v2"), "embed",
          children=0.5, downloads=2.9, tasks=_EMBED_TASKS, library=st),
        f("minilm", "bert", "BertModel", "apache-2.0", "sentence-similarity",
          ("all-MiniLM-L6-v2", "all-MiniLM-L12-v2", "paraphrase-multilingual-MiniLM-L12-v2", "MiniLM-L6",
           "minilm"), "embed", children=0.5, downloads=2.9, tasks=_EMBED_TASKS, library=st),
        f("bge", "bert", "BertModel", "mit", "feature-extraction",
          ("bge-base-en-v1.5", "bge-base", "bge", "bge-m3", "bge-small-en-v1.5"), "embed",
          children=0.5, downloads=2.9, tasks=_EMBED_TASKS, library=st),
        f("vit", "vit", "ViTForImageClassification", "apache-2.0", "image-classification",
          ("vit-base-patch16-224", "vit-base", "vit", "vit-base-patch16-224-in21k", "swin-tiny-patch4-window7-224",
           "convnext-tiny-224", "resnet-50"), "image", children=0.7, downloads=3.3),
        f("clip", "clip", "CLIPModel", "mit", "zero-shot-image-classification",
          ("clip-vit-base-patch32", "clip-vit-large-patch14", "CLIP-ViT-B-32", "clip"), "image",
          children=0.2, downloads=2.8),
        f("detr", "detr", "DetrForObjectDetection", "apache-2.0", "object-detection",
          ("detr-resnet-50", "detr-resnet-101", "yolos-tiny", "conditional-detr-resnet-50"), "image",
          children=0.2, downloads=3.2),
        f("segformer", "segformer", "SegformerForSemanticSegmentation", "other", "image-segmentation",
          ("segformer-b0", "segformer-b0-finetuned-ade-512-512", "segformer-b2", "mit-b0"), "image",
          children=0.2, downloads=3.2),
        f("dinov2", "dinov2", "Dinov2Model", "apache-2.0", "image-feature-extraction",
          ("dinov2-base", "dinov2-small", "dinov2-large"), "image", children=0.15, downloads=3.2),
        f("blip", "blip", "BlipForConditionalGeneration", "bsd-3-clause", "image-to-text",
          ("blip-image-captioning-large", "blip-image-captioning-base", "blip-captioning", "blip"), "image",
          children=0.2, downloads=2.8),
        f("sd", "stable-diffusion", "StableDiffusionPipeline", "creativeml-openrail-m", "text-to-image",
          ("stable-diffusion-v1-5", "sd-v1-5", "sd15", "SD1.5", "stable-diffusion", "sd-1.5"), "art",
          library="diffusers", children=0.7, downloads=3.7),
        f("sdxl", "stable-diffusion-xl", "StableDiffusionXLPipeline", "openrail++", "text-to-image",
          ("sdxl", "SDXL", "sdxl-base-1.0", "sd-xl", "SDXL-1.0", "pony-xl", "ponyxl"), "art",
          library="diffusers", children=0.7, downloads=3.7),
        f("flux", "flux", "FluxPipeline", "other", "text-to-image",
          ("flux", "FLUX.1-dev", "flux-dev", "Flux", "flux1-dev", "FLUX.1-schnell"), "art",
          library="diffusers", children=0.7, downloads=3.7),
        f("whisper", "whisper", "WhisperForConditionalGeneration", "apache-2.0", "automatic-speech-recognition",
          ("whisper-large-v3", "whisper-large", "whisper", "whisper-small", "whisper-tiny", "whisper-base"),
          "speech", children=0.7, downloads=2.2),
        f("wav2vec2", "wav2vec2", "Wav2Vec2ForCTC", "apache-2.0", "automatic-speech-recognition",
          ("wav2vec2-large-xlsr-53", "wav2vec2-base", "wav2vec2-large-xls-r-300m", "xls-r-300m",
           "wav2vec2-base-960h"), "speech", children=1.5, downloads=2.2),
        f("speecht5", "speecht5", "SpeechT5ForTextToSpeech", "mit", "text-to-speech",
          ("speecht5_tts", "speecht5-tts", "SpeechT5"), "speech", children=0.3, downloads=2.8),
    ]  # fmt: skip


_F = Family
FAMILIES: dict[str, Family] = {
    f.key: f
    for f in [
        _F(
            "llama1",
            "llama",
            "LlamaForCausalLM",
            "other",
            2048,
            "text-generation",
            ("llama-{s}", "LLaMA-{s}", "llama{s}", "alpaca-{s}", "alpaca-lora-{s}", "llama-{s}-hf", "Llama-{s}"),
            chat=False,
            children=1.5,
        ),
        _F(
            "llama2",
            "llama",
            "LlamaForCausalLM",
            "llama2",
            4096,
            "text-generation",
            ("llama-2-{s}", "Llama-2-{s}", "llama2-{s}", "Llama2-{s}", "llama-2-{s}-chat", "LLaMA-2-{s}", "llama2"),
        ),
        _F(
            "codellama",
            "llama",
            "LlamaForCausalLM",
            "llama2",
            16384,
            "text-generation",
            ("codellama-{s}", "CodeLlama-{s}", "code-llama-{s}", "codellama"),
        ),
        _F(
            "llama3",
            "llama",
            "LlamaForCausalLM",
            "llama3",
            8192,
            "text-generation",
            (
                "llama-3-{s}",
                "Llama-3-{s}",
                "llama3-{s}",
                "Llama3-{s}",
                "L3-{s}",
                "Meta-Llama-3-{s}",
                "llama3",
                "Llama-3-{s}-Instruct",
                "llama-3-{s}-instruct",
            ),
        ),
        _F(
            "llama3.1",
            "llama",
            "LlamaForCausalLM",
            "llama3.1",
            131072,
            "text-generation",
            (
                "llama-3.1-{s}",
                "Llama-3.1-{s}",
                "llama3.1-{s}",
                "L3.1-{s}",
                "Meta-Llama-3.1-{s}",
                "llama-3_1-{s}",
                "Llama-3.1-{s}-Instruct",
                "llama31-{s}",
            ),
        ),
        _F(
            "llama3.2",
            "llama",
            "LlamaForCausalLM",
            "llama3.2",
            131072,
            "text-generation",
            ("llama-3.2-{s}", "Llama-3.2-{s}", "llama3.2-{s}", "Llama-3.2-{s}-Instruct", "llama32-{s}"),
        ),
        _F(
            "llama3.3",
            "llama",
            "LlamaForCausalLM",
            "llama3.3",
            131072,
            "text-generation",
            ("Llama-3.3-{s}", "llama-3.3-{s}", "L3.3-{s}", "Llama-3.3-{s}-Instruct"),
            children=0.7,
        ),
        _F(
            "llama4",
            "llama4",
            "Llama4ForConditionalGeneration",
            "other",
            10485760,
            "image-text-to-text",
            ("Llama-4-Scout-{s}", "llama-4-scout"),
            children=0.3,
        ),
        _F(
            "mistral",
            "mistral",
            "MistralForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("mistral-{s}", "Mistral-{s}", "mistral{s}", "mistral", "Mistral-{s}-Instruct", "mistral-{s}-instruct"),
        ),
        _F(
            "mixtral",
            "mixtral",
            "MixtralForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("mixtral-{s}", "Mixtral-{s}", "mixtral", "Mixtral-{s}-Instruct"),
            children=0.6,
        ),
        _F(
            "mistral-nemo",
            "mistral",
            "MistralForCausalLM",
            "apache-2.0",
            1024000,
            "text-generation",
            ("Mistral-Nemo-{s}", "mistral-nemo-{s}", "MN-{s}", "Nemo-{s}", "mistral-nemo"),
        ),
        _F(
            "mistral-small",
            "mistral",
            "MistralForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("Mistral-Small-{s}", "mistral-small-{s}", "MS-{s}", "Mistral-Small"),
        ),
        _F(
            "mistral-large",
            "mistral",
            "MistralForCausalLM",
            "other",
            131072,
            "text-generation",
            ("Mistral-Large-{s}", "Mistral-Large", "mistral-large"),
            children=0.3,
        ),
        _F(
            "qwen",
            "qwen",
            "QWenLMHeadModel",
            "other",
            8192,
            "text-generation",
            ("qwen-{s}", "Qwen-{s}", "qwen", "Qwen-{s}-Chat"),
            children=0.4,
        ),
        _F(
            "qwen1.5",
            "qwen2",
            "Qwen2ForCausalLM",
            "other",
            32768,
            "text-generation",
            ("qwen1.5-{s}", "Qwen1.5-{s}", "qwen1_5-{s}", "Qwen1.5-{s}-Chat"),
        ),
        _F(
            "qwen2",
            "qwen2",
            "Qwen2ForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("qwen2-{s}", "Qwen2-{s}", "Qwen2-{s}-Instruct", "qwen2"),
        ),
        _F(
            "qwen2.5",
            "qwen2",
            "Qwen2ForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            (
                "qwen2.5-{s}",
                "Qwen2.5-{s}",
                "qwen2_5-{s}",
                "Qwen-2.5-{s}",
                "qwen25-{s}",
                "Qwen2.5-{s}-Instruct",
                "qwen2.5-{s}-instruct",
                "qwen2.5",
            ),
        ),
        _F(
            "qwen2.5-coder",
            "qwen2",
            "Qwen2ForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("Qwen2.5-Coder-{s}", "qwen2.5-coder-{s}", "qwen-coder-{s}"),
        ),
        _F(
            "qwen-vl",
            "qwen2_vl",
            "Qwen2VLForConditionalGeneration",
            "apache-2.0",
            32768,
            "image-text-to-text",
            ("Qwen2-VL-{s}", "qwen2-vl-{s}", "Qwen2.5-VL-{s}", "qwen2.5-vl-{s}"),
            children=0.6,
        ),
        _F(
            "qwen3",
            "qwen3",
            "Qwen3ForCausalLM",
            "apache-2.0",
            40960,
            "text-generation",
            ("qwen3-{s}", "Qwen3-{s}", "Qwen-3-{s}", "qwen3", "Qwen3-{s}-Instruct"),
        ),
        _F(
            "qwen3-moe",
            "qwen3_moe",
            "Qwen3MoeForCausalLM",
            "apache-2.0",
            40960,
            "text-generation",
            ("Qwen3-{s}", "qwen3-{s}", "Qwen3-MoE-{s}"),
        ),
        _F(
            "qwen3.5",
            "qwen3_5",
            "Qwen3_5ForConditionalGeneration",
            "apache-2.0",
            262144,
            "image-text-to-text",
            ("Qwen3.5-{s}", "qwen3.5-{s}", "Qwen3.6-{s}", "qwen3.6-{s}", "Qwen-3.5-{s}", "qwen35-{s}"),
        ),
        _F(
            "qwen3.5-moe",
            "qwen3_5_moe",
            "Qwen3_5MoeForConditionalGeneration",
            "apache-2.0",
            262144,
            "image-text-to-text",
            ("Qwen3.5-{s}", "qwen3.5-{s}", "Qwen3.6-{s}", "qwen3.6-{s}"),
        ),
        _F(
            "gemma4",
            "gemma4",
            "Gemma4ForConditionalGeneration",
            "gemma",
            262144,
            "image-text-to-text",
            ("gemma-4-{s}", "Gemma-4-{s}", "gemma4-{s}", "gemma-4-{s}-it", "G4-{s}"),
        ),
        _F(
            "glm-moe",
            "glm4_moe",
            "Glm4MoeForCausalLM",
            "mit",
            131072,
            "text-generation",
            ("GLM-4.5-Air", "glm-4.5-air", "GLM-4.7-Flash", "glm-4.7-flash", "GLM-4.5"),
            children=0.6,
        ),
        _F(
            "kimi",
            "kimi_k2",
            "DeepseekV3ForCausalLM",
            "other",
            131072,
            "text-generation",
            ("Kimi-K2", "kimi-k2", "Kimi-K2-Instruct"),
            children=0.3,
        ),
        _F(
            "nemotron3",
            "nemotron_h",
            "NemotronHForCausalLM",
            "other",
            262144,
            "text-generation",
            ("Nemotron-3-Nano-{s}", "nemotron-3-nano-{s}", "Nemotron-Nano-{s}"),
            children=0.5,
        ),
        _F(
            "gemma",
            "gemma",
            "GemmaForCausalLM",
            "gemma",
            8192,
            "text-generation",
            ("gemma-{s}", "Gemma-{s}", "gemma", "gemma-{s}-it"),
        ),
        _F(
            "gemma2",
            "gemma2",
            "Gemma2ForCausalLM",
            "gemma",
            8192,
            "text-generation",
            ("gemma-2-{s}", "Gemma-2-{s}", "gemma2-{s}", "G2-{s}", "gemma-2-{s}-it", "gemma2"),
        ),
        _F(
            "gemma3",
            "gemma3",
            "Gemma3ForConditionalGeneration",
            "gemma",
            131072,
            "image-text-to-text",
            ("gemma-3-{s}", "Gemma-3-{s}", "gemma3-{s}", "gemma-3-{s}-it", "G3-{s}"),
        ),
        _F(
            "gemma3-text",
            "gemma3_text",
            "Gemma3ForCausalLM",
            "gemma",
            32768,
            "text-generation",
            ("gemma-3-{s}", "Gemma-3-{s}", "gemma3-{s}", "gemma-3-{s}-it"),
        ),
        _F(
            "phi",
            "phi",
            "PhiForCausalLM",
            "mit",
            2048,
            "text-generation",
            ("phi-2", "phi2", "Phi-2", "phi-1_5", "phi-1.5"),
            chat=False,
        ),
        _F(
            "phi3",
            "phi3",
            "Phi3ForCausalLM",
            "mit",
            131072,
            "text-generation",
            ("Phi-3-mini", "phi-3-mini", "phi3-mini", "Phi-3-{s}", "phi3", "Phi-3.5-mini", "phi-3.5-mini", "phi3.5"),
        ),
        _F("phi4", "phi3", "Phi3ForCausalLM", "mit", 16384, "text-generation", ("phi-4", "Phi-4", "phi4", "phi-4-{s}")),
        _F(
            "phimoe",
            "phimoe",
            "PhiMoEForCausalLM",
            "mit",
            131072,
            "text-generation",
            ("Phi-3.5-MoE", "phi-3.5-moe"),
            children=0.2,
        ),
        _F(
            "pythia",
            "gpt_neox",
            "GPTNeoXForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("pythia-{s}", "Pythia-{s}", "pythia-{s}-deduped", "pythia"),
            chat=False,
        ),
        _F(
            "gpt-neox",
            "gpt_neox",
            "GPTNeoXForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("gpt-neox-{s}", "neox-{s}", "GPT-NeoX-{s}"),
            chat=False,
            children=0.5,
        ),
        _F(
            "gpt-neo",
            "gpt_neo",
            "GPTNeoForCausalLM",
            "mit",
            2048,
            "text-generation",
            ("gpt-neo-{s}", "GPT-Neo-{s}", "gptneo-{s}", "gpt-neo", "gptneo"),
            chat=False,
        ),
        _F(
            "gpt-j",
            "gptj",
            "GPTJForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("gpt-j-{s}", "gptj-{s}", "GPT-J-{s}", "gpt-j"),
            chat=False,
        ),
        _F(
            "gpt2",
            "gpt2",
            "GPT2LMHeadModel",
            "mit",
            1024,
            "text-generation",
            ("gpt2", "GPT2", "gpt-2", "GPT-2", "gpt2-small"),
            chat=False,
            children=1.2,
        ),
        _F(
            "distilgpt2",
            "gpt2",
            "GPT2LMHeadModel",
            "apache-2.0",
            1024,
            "text-generation",
            ("distilgpt2", "DistilGPT2", "distil-gpt2"),
            chat=False,
            children=0.6,
        ),
        _F(
            "dialogpt",
            "gpt2",
            "GPT2LMHeadModel",
            "mit",
            1024,
            "text-generation",
            ("DialoGPT-medium", "DialoGPT", "dialogpt-medium", "dialogpt"),
            chat=False,
            children=0.5,
        ),
        _F(
            "redpajama",
            "gpt_neox",
            "GPTNeoXForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("RedPajama-INCITE-{s}", "redpajama-{s}", "RedPajama-{s}"),
            chat=False,
            children=0.6,
        ),
        _F(
            "open-llama",
            "llama",
            "LlamaForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("open_llama_{s}", "open-llama-{s}", "openllama-{s}", "OpenLLaMA-{s}"),
            chat=False,
        ),
        _F(
            "cerebras",
            "gpt2",
            "GPT2Model",
            "apache-2.0",
            2048,
            "text-generation",
            ("Cerebras-GPT-{s}", "cerebras-gpt-{s}"),
            chat=False,
            children=0.5,
        ),
        _F(
            "dolly",
            "gpt_neox",
            "GPTNeoXForCausalLM",
            "mit",
            2048,
            "text-generation",
            ("dolly-v2-{s}", "dolly-{s}"),
            chat=False,
            children=0.6,
        ),
        _F(
            "codegen",
            "codegen",
            "CodeGenForCausalLM",
            "bsd-3-clause",
            2048,
            "text-generation",
            ("codegen-{s}-mono", "codegen-{s}", "CodeGen-{s}"),
            chat=False,
            children=0.6,
        ),
        _F(
            "polyglot",
            "gpt_neox",
            "GPTNeoXForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("polyglot-ko-{s}", "polyglot-{s}", "ko-polyglot-{s}"),
            chat=False,
            children=0.8,
        ),
        _F(
            "falcon",
            "falcon",
            "FalconForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("falcon-{s}", "Falcon-{s}", "falcon", "falcon-{s}-instruct"),
        ),
        _F("falcon3", "llama", "LlamaForCausalLM", "other", 32768, "text-generation", ("Falcon3-{s}", "falcon3-{s}")),
        _F(
            "falcon-mamba",
            "falcon_mamba",
            "FalconMambaForCausalLM",
            "other",
            8192,
            "text-generation",
            ("falcon-mamba-{s}",),
            children=0.2,
        ),
        _F(
            "bloom",
            "bloom",
            "BloomForCausalLM",
            "bigscience-bloom-rail-1.0",
            2048,
            "text-generation",
            ("bloom-{s}", "BLOOM-{s}", "bloomz-{s}", "bloom"),
            chat=False,
        ),
        _F("opt", "opt", "OPTForCausalLM", "other", 2048, "text-generation", ("opt-{s}", "OPT-{s}", "opt"), chat=False),
        _F(
            "galactica",
            "opt",
            "OPTForCausalLM",
            "cc-by-nc-4.0",
            2048,
            "text-generation",
            ("galactica-{s}",),
            chat=False,
            children=0.3,
        ),
        _F(
            "deepseek",
            "llama",
            "LlamaForCausalLM",
            "other",
            4096,
            "text-generation",
            ("deepseek-{s}", "DeepSeek-{s}", "deepseek-llm-{s}"),
        ),
        _F(
            "deepseek-coder",
            "llama",
            "LlamaForCausalLM",
            "other",
            16384,
            "text-generation",
            ("deepseek-coder-{s}", "DeepSeek-Coder-{s}", "deepseekcoder-{s}"),
        ),
        _F(
            "deepseek-v2",
            "deepseek_v2",
            "DeepseekV2ForCausalLM",
            "other",
            163840,
            "text-generation",
            ("DeepSeek-V2-Lite", "deepseek-v2-lite"),
            children=0.3,
        ),
        _F(
            "deepseek-v3",
            "deepseek_v3",
            "DeepseekV3ForCausalLM",
            "mit",
            163840,
            "text-generation",
            ("DeepSeek-V3", "DeepSeek-R1", "deepseek-r1", "deepseek-v3"),
            children=0.6,
        ),
        _F(
            "r1-distill-qwen",
            "qwen2",
            "Qwen2ForCausalLM",
            "mit",
            131072,
            "text-generation",
            ("DeepSeek-R1-Distill-Qwen-{s}", "R1-Distill-Qwen-{s}", "deepseek-r1-distill-qwen-{s}", "deepseek-r1-{s}"),
        ),
        _F(
            "r1-distill-llama",
            "llama",
            "LlamaForCausalLM",
            "mit",
            131072,
            "text-generation",
            ("DeepSeek-R1-Distill-Llama-{s}", "R1-Distill-Llama-{s}", "deepseek-r1-llama-{s}"),
        ),
        _F(
            "yi",
            "llama",
            "LlamaForCausalLM",
            "apache-2.0",
            4096,
            "text-generation",
            ("yi-{s}", "Yi-{s}", "yi-ko-{s}", "Yi-1.5-{s}", "yi"),
        ),
        _F(
            "starcoder",
            "gpt_bigcode",
            "GPTBigCodeForCausalLM",
            "bigcode-openrail-m",
            8192,
            "text-generation",
            ("starcoder", "StarCoder", "starcoderbase-{s}", "starcoder-{s}"),
            chat=False,
        ),
        _F(
            "starcoder2",
            "starcoder2",
            "Starcoder2ForCausalLM",
            "bigcode-openrail-m",
            16384,
            "text-generation",
            ("starcoder2-{s}", "StarCoder2-{s}"),
            chat=False,
        ),
        _F(
            "tinyllama",
            "llama",
            "LlamaForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("TinyLlama-{s}", "tinyllama-{s}", "tinyllama", "TinyLlama", "tiny-llama-{s}"),
            children=1.3,
        ),
        _F(
            "smollm",
            "llama",
            "LlamaForCausalLM",
            "apache-2.0",
            2048,
            "text-generation",
            ("SmolLM-{s}", "smollm-{s}", "SmolLM2-{s}", "smollm2-{s}", "smollm"),
        ),
        _F(
            "smollm3",
            "smollm3",
            "SmolLM3ForCausalLM",
            "apache-2.0",
            65536,
            "text-generation",
            ("SmolLM3-{s}", "smollm3-{s}"),
            children=0.4,
        ),
        _F(
            "olmo",
            "olmo",
            "OlmoForCausalLM",
            "apache-2.0",
            4096,
            "text-generation",
            ("OLMo-{s}", "olmo-{s}", "OLMo-2-{s}", "olmo2-{s}"),
            children=0.5,
        ),
        _F("olmoe", "olmoe", "OlmoeForCausalLM", "apache-2.0", 4096, "text-generation", ("OLMoE-{s}",), children=0.2),
        _F("mpt", "mpt", "MPTForCausalLM", "apache-2.0", 2048, "text-generation", ("mpt-{s}", "MPT-{s}", "mpt")),
        _F(
            "solar",
            "llama",
            "LlamaForCausalLM",
            "apache-2.0",
            4096,
            "text-generation",
            ("SOLAR-{s}", "solar-{s}", "KoSOLAR-{s}", "Solar-{s}"),
        ),
        _F(
            "stablelm",
            "stablelm",
            "StableLmForCausalLM",
            "other",
            4096,
            "text-generation",
            ("stablelm-{s}", "StableLM-{s}", "stablelm-2-{s}", "stablelm"),
        ),
        _F(
            "vicuna",
            "llama",
            "LlamaForCausalLM",
            "llama2",
            4096,
            "text-generation",
            ("vicuna-{s}", "Vicuna-{s}", "vicuna-{s}-v1.5"),
        ),
        _F(
            "zephyr",
            "mistral",
            "MistralForCausalLM",
            "mit",
            32768,
            "text-generation",
            ("zephyr-{s}", "Zephyr-{s}", "zephyr-{s}-beta"),
        ),
        _F(
            "hermes",
            "mistral",
            "MistralForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("OpenHermes-{s}", "Hermes-{s}", "hermes-{s}", "openhermes-2.5-mistral-{s}"),
        ),
        _F(
            "openorca",
            "mistral",
            "MistralForCausalLM",
            "apache-2.0",
            32768,
            "text-generation",
            ("Mistral-{s}-OpenOrca", "mistral-{s}-openorca", "OpenOrca-{s}"),
        ),
        _F(
            "nemotron",
            "llama",
            "LlamaForCausalLM",
            "llama3.1",
            131072,
            "text-generation",
            ("Nemotron-{s}", "nemotron-{s}", "Llama-3.1-Nemotron-{s}"),
            children=0.5,
        ),
        _F(
            "command-r",
            "cohere",
            "CohereForCausalLM",
            "cc-by-nc-4.0",
            131072,
            "text-generation",
            ("c4ai-command-r", "command-r", "Command-R", "aya-23-{s}", "aya-{s}"),
            children=0.5,
        ),
        _F(
            "internlm",
            "internlm2",
            "InternLM2ForCausalLM",
            "other",
            32768,
            "text-generation",
            ("internlm2_5-{s}", "internlm2-{s}", "InternLM2.5-{s}"),
            children=0.4,
        ),
        _F(
            "glm",
            "chatglm",
            "ChatGLMModel",
            "other",
            8192,
            "text-generation",
            ("chatglm3-{s}", "glm-4-{s}", "GLM-4-{s}", "chatglm"),
            children=0.5,
        ),
        _F(
            "granite",
            "granite",
            "GraniteForCausalLM",
            "apache-2.0",
            131072,
            "text-generation",
            ("granite-3.0-{s}", "granite-{s}", "Granite-3.3-{s}"),
            children=0.4,
        ),
        _F(
            "gpt-oss",
            "gpt_oss",
            "GptOssForCausalLM",
            "apache-2.0",
            131072,
            "text-generation",
            ("gpt-oss-{s}", "GPT-OSS-{s}", "gpt-oss"),
            children=0.8,
        ),
        _F(
            "llava",
            "llava",
            "LlavaForConditionalGeneration",
            "llama2",
            4096,
            "image-text-to-text",
            ("llava-1.5-{s}", "llava-v1.5-{s}", "LLaVA-{s}"),
            children=0.5,
        ),
        # Other tasks. Their derived models take the family's `tasks` (a BERT is fine-tuned into a sentiment
        # classifier), their names the `words` of their domain; `children` and `downloads` are fitted so that
        # the pipeline-tag mix matches hf-top-downloads-2024-09 above its threshold and hf-models-2022-10 over
        # the whole Hub of that date (docs/fakehub.md).
        *_other_tasks(),
    ]
}

# --------------------------------------------------------------------------------------------------
# Base models: real repos, real dates, real sizes (safetensors.total where known)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    id: str
    family: str
    size: str  # the size token as the family spells it ("7B", "1.5B", "8x7B", "30B-A3B"); "" if none
    params: int  # true parameter count
    created: str  # YYYY-MM-DD
    popularity: int  # 0..10: how much it is downloaded and built upon
    parent: str | None = None  # declared base model (a few official models are fine-tunes themselves)
    gated: bool = False


def _bp(label: str) -> int:
    """Nominal parameter count of a size token: "7B" -> 7e9, "350M" -> 3.5e8, "8x7B" -> 56e9."""
    label = label.upper()
    if "-A" in label:
        label = label.split("-A")[0]
    mult = 1
    if "X" in label:
        k, label = label.split("X")
        mult = int(k)
    unit = 1e9 if label.endswith("B") else 1e6
    return int(float(label[:-1]) * unit * mult)


def _series(
    family: str,
    org: str,
    template: str,
    sizes: list[tuple[str, int | None, int]],
    created: str,
    parent: str | None = None,
    gated: bool = False,
) -> list[Base]:
    """One release: `template` with "{s}" filled by each size; sizes are (token, exact params or None, pop)."""
    out = []
    for token, exact, pop in sizes:
        name = template.format(s=token)
        par = parent.format(s=token) if parent else None
        # Without a known count: the nominal size, off by a few percent as real counts are (embeddings, heads)
        if exact is None:
            exact = int(_bp(token) * (0.97 + 0.1 * (sum(map(ord, name)) % 101) / 101))
        out.append(Base(f"{org}/{name}", family, token, exact, created, pop, par, gated))
    return out


def _build_bases() -> list[Base]:
    s = _series
    b: list[Base] = []
    # Meta
    b += s(
        "llama1",
        "huggyllama",
        "llama-{s}",
        [("7b", 6738415616, 7), ("13b", 13015864320, 6), ("30b", 32528943616, 5), ("65b", 65285660672, 4)],
        "2023-04-03",
    )
    b += s(
        "redpajama",
        "togethercomputer",
        "RedPajama-INCITE-{s}-Base",
        [("3B", 2775864320, 4), ("7B", 6857302016, 4)],
        "2023-05-04",
    )
    b += s("redpajama", "togethercomputer", "RedPajama-INCITE-Chat-{s}-v1", [("3B", 2775864320, 5)], "2023-05-05")
    b += s(
        "open-llama",
        "openlm-research",
        "open_llama_{s}",
        [("3b", 3426473600, 5), ("7b", 6738415616, 6), ("13b", 13015864320, 5)],
        "2023-06-07",
    )
    b += s(
        "cerebras",
        "cerebras",
        "Cerebras-GPT-{s}",
        [("111M", 111053568, 5), ("1.3B", 1315655680, 4), ("13B", 12852464640, 3)],
        "2023-03-27",
    )
    b += s("dolly", "databricks", "dolly-v2-{s}", [("3b", 2775864320, 5), ("12b", 11846072320, 5)], "2023-04-12")
    b += s(
        "codegen",
        "Salesforce",
        "codegen-{s}-mono",
        [("350M", 356712448, 6), ("2B", 2779683840, 4), ("6B", 6000000000, 4)],
        "2022-04-11",
    )
    b += s(
        "polyglot",
        "EleutherAI",
        "polyglot-ko-{s}",
        [("1.3b", 1331810304, 5), ("5.8b", 5885059072, 5), ("12.8b", 12898631680, 4)],
        "2022-09-15",
    )
    b += [
        Base("microsoft/DialoGPT-small", "dialogpt", "", 124439808, "2019-11-05", 5),
        Base("microsoft/DialoGPT-large", "dialogpt", "", 774030080, "2019-11-05", 5),
    ]
    b += s(
        "llama2",
        "meta-llama",
        "Llama-2-{s}-hf",
        [("7b", 6738415616, 9), ("13b", 13015864320, 7), ("70b", 68976648192, 6)],
        "2023-07-18",
        gated=True,
    )
    b += s(
        "llama2",
        "meta-llama",
        "Llama-2-{s}-chat-hf",
        [("7b", 6738415616, 9), ("13b", 13015864320, 7), ("70b", 68976648192, 6)],
        "2023-07-18",
        gated=True,
    )
    b += s("codellama", "codellama", "CodeLlama-{s}-hf", [("7b", 6738546688, 5), ("13b", 13016028160, 4)], "2023-08-24")
    b += s(
        "codellama",
        "codellama",
        "CodeLlama-{s}-Instruct-hf",
        [("7b", 6738546688, 5), ("34b", 33743970304, 4)],
        "2023-08-24",
    )
    b += s(
        "llama3",
        "meta-llama",
        "Meta-Llama-3-{s}",
        [("8B", 8030261248, 8), ("70B", 70553706496, 6)],
        "2024-04-17",
        gated=True,
    )
    b += s(
        "llama3",
        "meta-llama",
        "Meta-Llama-3-{s}-Instruct",
        [("8B", 8030261248, 10), ("70B", 70553706496, 7)],
        "2024-04-17",
        gated=True,
    )
    b += s(
        "llama3.1",
        "meta-llama",
        "Llama-3.1-{s}",
        [("8B", 8030261248, 8), ("70B", 70553706496, 6), ("405B", 405853388800, 4)],
        "2024-07-14",
        gated=True,
    )
    b += s(
        "llama3.1",
        "meta-llama",
        "Llama-3.1-{s}-Instruct",
        [("8B", 8030261248, 10), ("70B", 70553706496, 7), ("405B", 405853388800, 5)],
        "2024-07-18",
        gated=True,
    )
    b += s(
        "llama3.2",
        "meta-llama",
        "Llama-3.2-{s}",
        [("1B", 1235814400, 7), ("3B", 3212749824, 7)],
        "2024-09-18",
        gated=True,
    )
    b += s(
        "llama3.2",
        "meta-llama",
        "Llama-3.2-{s}-Instruct",
        [("1B", 1235814400, 8), ("3B", 3212749824, 8)],
        "2024-09-18",
        gated=True,
    )
    b += s("llama3.3", "meta-llama", "Llama-3.3-{s}-Instruct", [("70B", 70553706496, 8)], "2024-11-26", gated=True)
    b += s(
        "llama4", "meta-llama", "Llama-4-Scout-{s}-Instruct", [("17B-16E", 108641793536, 5)], "2025-04-02", gated=True
    )
    # Mistral AI
    b += s("mistral", "mistralai", "Mistral-{s}-v0.1", [("7B", 7241732096, 9)], "2023-09-20")
    b += s("mistral", "mistralai", "Mistral-{s}-Instruct-v0.1", [("7B", 7241732096, 8)], "2023-09-27")
    b += s("mistral", "mistralai", "Mistral-{s}-Instruct-v0.2", [("7B", 7241732096, 9)], "2023-12-11")
    b += s("mistral", "mistralai", "Mistral-{s}-v0.3", [("7B", 7248023552, 7)], "2024-05-22")
    b += s("mistral", "mistralai", "Mistral-{s}-Instruct-v0.3", [("7B", 7248023552, 8)], "2024-05-22")
    b += s("mixtral", "mistralai", "Mixtral-{s}-v0.1", [("8x7B", 46702792704, 7)], "2023-12-01")
    b += s("mixtral", "mistralai", "Mixtral-{s}-Instruct-v0.1", [("8x7B", 46702792704, 8)], "2023-12-10")
    b += s("mixtral", "mistralai", "Mixtral-{s}-v0.1", [("8x22B", 140620634112, 4)], "2024-04-16")
    b += s("mixtral", "mistralai", "Mixtral-{s}-Instruct-v0.1", [("8x22B", 140620634112, 5)], "2024-04-16")
    b += [
        Base("mistralai/Mistral-Nemo-Base-2407", "mistral-nemo", "", 12247782400, "2024-07-18", 6),
        Base("mistralai/Mistral-Nemo-Instruct-2407", "mistral-nemo", "", 12247782400, "2024-07-18", 8),
        Base("mistralai/Mistral-Large-Instruct-2407", "mistral-large", "", 122610069504, "2024-07-24", 4),
        Base("mistralai/Mistral-Small-24B-Instruct-2501", "mistral-small", "24B", 23572403200, "2025-01-28", 7),
        Base("mistralai/Mistral-Small-3.1-24B-Instruct-2503", "mistral-small", "24B", 24011361280, "2025-03-17", 6),
    ]
    # Qwen
    b += s("qwen", "Qwen", "Qwen-{s}", [("7B", 7721324544, 5), ("14B", 14167290880, 4)], "2023-08-03")
    b += s("qwen", "Qwen", "Qwen-{s}-Chat", [("7B", 7721324544, 6), ("14B", 14167290880, 4)], "2023-08-03")
    b += s(
        "qwen1.5",
        "Qwen",
        "Qwen1.5-{s}",
        [
            ("0.5B", 619570176, 5),
            ("1.8B", 1836828672, 5),
            ("4B", 3950369280, 4),
            ("7B", 7721324544, 5),
            ("14B", 14167290880, 5),
            ("32B", 32512218112, 4),
            ("72B", 72287920128, 4),
        ],
        "2024-01-22",
    )
    b += s(
        "qwen1.5",
        "Qwen",
        "Qwen1.5-{s}-Chat",
        [
            ("0.5B", 619570176, 6),
            ("1.8B", 1836828672, 5),
            ("7B", 7721324544, 6),
            ("14B", 14167290880, 5),
            ("72B", 72287920128, 4),
            ("110B", 111209914368, 3),
        ],
        "2024-01-30",
    )
    b += s(
        "qwen2",
        "Qwen",
        "Qwen2-{s}",
        [("0.5B", 494032768, 5), ("1.5B", 1543714304, 6), ("7B", 7615616512, 6), ("72B", 72706203648, 4)],
        "2024-05-31",
    )
    b += s(
        "qwen2",
        "Qwen",
        "Qwen2-{s}-Instruct",
        [
            ("0.5B", 494032768, 6),
            ("1.5B", 1543714304, 7),
            ("7B", 7615616512, 7),
            ("72B", 72706203648, 5),
            ("57B-A14B", 57409590272, 3),
        ],
        "2024-06-03",
    )
    b += s(
        "qwen2.5",
        "Qwen",
        "Qwen2.5-{s}",
        [
            ("0.5B", 494032768, 7),
            ("1.5B", 1543714304, 7),
            ("3B", 3085938688, 6),
            ("7B", 7615616512, 8),
            ("14B", 14770033664, 7),
            ("32B", 32763876352, 7),
            ("72B", 72706203648, 5),
        ],
        "2024-09-15",
    )
    b += s(
        "qwen2.5",
        "Qwen",
        "Qwen2.5-{s}-Instruct",
        [
            ("0.5B", 494032768, 8),
            ("1.5B", 1543714304, 8),
            ("3B", 3085938688, 8),
            ("7B", 7615616512, 10),
            ("14B", 14770033664, 8),
            ("32B", 32763876352, 8),
            ("72B", 72706203648, 7),
        ],
        "2024-09-16",
    )
    b += s("qwen2.5", "Qwen", "Qwen2.5-Math-{s}", [("1.5B", 1543714304, 5), ("7B", 7615616512, 5)], "2024-09-16")
    b += s(
        "qwen2.5-coder",
        "Qwen",
        "Qwen2.5-Coder-{s}-Instruct",
        [("1.5B", 1543714304, 6), ("7B", 7615616512, 7), ("32B", 32763876352, 7)],
        "2024-09-17",
    )
    b += s("qwen-vl", "Qwen", "Qwen2-VL-{s}-Instruct", [("2B", 2208985600, 6), ("7B", 8291375616, 7)], "2024-08-28")
    b += s(
        "qwen-vl",
        "Qwen",
        "Qwen2.5-VL-{s}-Instruct",
        [("3B", 3754622976, 7), ("7B", 8292166656, 8), ("72B", 73410777344, 5)],
        "2025-01-26",
    )
    b += [Base("Qwen/QwQ-32B", "qwen2.5", "32B", 32763876352, "2025-03-05", 6)]
    b += s(
        "qwen3",
        "Qwen",
        "Qwen3-{s}",
        [
            ("0.6B", 751632384, 8),
            ("1.7B", 2031739904, 7),
            ("4B", 4022468096, 8),
            ("8B", 8190735360, 9),
            ("14B", 14768307200, 7),
            ("32B", 32762123264, 7),
        ],
        "2025-04-27",
    )
    b += s(
        "qwen3",
        "Qwen",
        "Qwen3-{s}-Base",
        [("0.6B", 751632384, 5), ("4B", 4022468096, 5), ("8B", 8190735360, 6), ("14B", 14768307200, 5)],
        "2025-04-28",
    )
    b += s(
        "qwen3-moe", "Qwen", "Qwen3-{s}", [("30B-A3B", 30532122624, 8), ("235B-A22B", 235093634560, 6)], "2025-04-27"
    )
    b += s("qwen3-moe", "Qwen", "Qwen3-Coder-{s}-Instruct", [("30B-A3B", 30532122624, 6)], "2025-07-31")
    b += s("qwen3", "Qwen", "Qwen3-{s}-Instruct-2507", [("4B", 4022468096, 7)], "2025-08-05")
    # Google
    # 2025-26 releases
    b += s(
        "qwen3.5",
        "Qwen",
        "Qwen3.5-{s}",
        [("0.8B", None, 6), ("2B", None, 6), ("4B", None, 7), ("9B", None, 8), ("27B", None, 7)],
        "2026-02-27",
    )
    b += s(
        "qwen3.5-moe",
        "Qwen",
        "Qwen3.5-{s}",
        [("35B-A3B", 35951822848, 7), ("122B-A10B", 122111526912, 5), ("397B-A17B", 397221750784, 4)],
        "2026-02-24",
    )
    b += s("qwen3.5", "Qwen", "Qwen3.6-{s}", [("27B", None, 8)], "2026-04-21")
    b += s("qwen3.5-moe", "Qwen", "Qwen3.6-{s}", [("35B-A3B", 35951822848, 8)], "2026-04-15")
    b += s(
        "gemma4",
        "google",
        "gemma-4-{s}-it",
        [("26B-A4B", 25233142784, 8), ("31B", 31273087232, 8)],
        "2026-03-11",
        gated=True,
    )
    b += [
        Base("zai-org/GLM-4.5-Air", "glm-moe", "", 110468824832, "2025-07-20", 6),
        Base("zai-org/GLM-4.7-Flash", "glm-moe", "", 31221488576, "2026-01-19", 7),
        Base("moonshotai/Kimi-K2-Instruct", "kimi", "", 1026408232448, "2025-07-11", 5),
        Base("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "nemotron3", "30B-A3B", 31577940288, "2025-12-15", 6),
        Base("ibm-granite/granite-4.1-8b", "granite", "8b", 8170848256, "2026-04-06", 6),
    ]
    b += s("gemma", "google", "gemma-{s}", [("2b", 2506172416, 7), ("7b", 8537680896, 7)], "2024-02-08", gated=True)
    b += s("gemma", "google", "gemma-{s}-it", [("2b", 2506172416, 7), ("7b", 8537680896, 6)], "2024-02-08", gated=True)
    b += s(
        "gemma2",
        "google",
        "gemma-2-{s}",
        [("2b", 2614341888, 6), ("9b", 9241705984, 6), ("27b", 27227128320, 5)],
        "2024-06-24",
        gated=True,
    )
    b += s(
        "gemma2",
        "google",
        "gemma-2-{s}-it",
        [("2b", 2614341888, 8), ("9b", 9241705984, 8), ("27b", 27227128320, 6)],
        "2024-06-24",
        gated=True,
    )
    b += s(
        "gemma3",
        "google",
        "gemma-3-{s}-it",
        [("4b", 4300079472, 8), ("12b", 12187325040, 7), ("27b", 27432406640, 7)],
        "2025-03-10",
        gated=True,
    )
    b += s("gemma3-text", "google", "gemma-3-{s}-it", [("1b", 999885952, 7)], "2025-03-10", gated=True)
    b += s("gemma3-text", "google", "gemma-3-{s}", [("270m", 268098176, 6)], "2025-08-14", gated=True)
    b += [
        Base("google/flan-t5-base", "t5", "", 247577856, "2022-10-21", 8),
        Base("google/flan-t5-large", "t5", "", 783150080, "2022-10-21", 6),
        Base("google-bert/bert-base-uncased", "bert", "", 110106428, "2018-11-14", 9),
        Base("google/vit-base-patch16-224", "vit", "", 86567656, "2021-03-24", 7),
    ]
    # Microsoft
    b += [
        Base("microsoft/phi-1_5", "phi", "", 1418270720, "2023-09-10", 5),
        Base("microsoft/phi-2", "phi", "", 2779683840, "2023-12-13", 8),
        Base("microsoft/Phi-3-mini-4k-instruct", "phi3", "", 3821079552, "2024-04-22", 8),
        Base("microsoft/Phi-3-mini-128k-instruct", "phi3", "", 3821079552, "2024-04-22", 7),
        Base("microsoft/Phi-3-medium-4k-instruct", "phi3", "", 13960238080, "2024-05-07", 5),
        Base("microsoft/Phi-3.5-mini-instruct", "phi3", "", 3821079552, "2024-08-16", 8),
        Base("microsoft/Phi-3.5-MoE-instruct", "phimoe", "", 41873153344, "2024-08-17", 4),
        Base("microsoft/phi-4", "phi4", "", 14659507200, "2024-12-11", 7),
        Base("microsoft/Phi-4-mini-instruct", "phi4", "", 3836021760, "2025-02-19", 7),
        Base("microsoft/DialoGPT-medium", "dialogpt", "", 354823168, "2019-11-05", 6),
    ]
    # EleutherAI
    b += s(
        "pythia",
        "EleutherAI",
        "pythia-{s}",
        [
            ("70m", 70426624, 6),
            ("160m", 162322944, 6),
            ("410m", 405334016, 6),
            ("1b", 1011781632, 5),
            ("1.4b", 1414647808, 5),
            ("2.8b", 2775208960, 5),
            ("6.9b", 6857302016, 5),
            ("12b", 11846072320, 4),
        ],
        "2023-02-13",
    )
    b += s(
        "pythia",
        "EleutherAI",
        "pythia-{s}-deduped",
        [("70m", 70426624, 4), ("410m", 405334016, 4), ("1.4b", 1414647808, 4), ("6.9b", 6857302016, 3)],
        "2023-02-13",
    )
    b += s(
        "gpt-neo",
        "EleutherAI",
        "gpt-neo-{s}",
        [("125m", 125198592, 7), ("1.3B", 1315575808, 6), ("2.7B", 2651307008, 5)],
        "2021-03-30",
    )
    b += s("gpt-j", "EleutherAI", "gpt-j-{s}", [("6b", 6050882784, 6)], "2021-06-04")
    b += s("gpt-neox", "EleutherAI", "gpt-neox-{s}", [("20b", 20554568704, 5)], "2022-04-07")
    # GPT-2 (legacy ids, now under openai-community)
    b += [
        Base("openai-community/gpt2", "gpt2", "", 137022720, "2019-02-14", 10),
        Base("openai-community/gpt2-medium", "gpt2", "", 379988992, "2019-05-03", 7),
        Base("openai-community/gpt2-large", "gpt2", "", 812325888, "2019-08-20", 6),
        Base("openai-community/gpt2-xl", "gpt2", "", 1607580000, "2019-11-05", 5),
        Base("distilbert/distilgpt2", "distilgpt2", "", 88204032, "2019-10-02", 8),
    ]
    # TII
    b += s("falcon", "tiiuae", "falcon-{s}", [("7b", 6921720704, 7), ("40b", 41303347200, 5)], "2023-04-24")
    b += s("falcon", "tiiuae", "falcon-{s}-instruct", [("7b", 6921720704, 7), ("40b", 41303347200, 5)], "2023-04-25")
    b += s("falcon", "tiiuae", "falcon-rw-{s}", [("1b", 1311625216, 4)], "2023-04-26")
    b += s("falcon", "tiiuae", "falcon-{s}", [("180B", 179522565120, 3)], "2023-09-01", gated=True)
    b += s("falcon3", "tiiuae", "Falcon3-{s}-Instruct", [("7B", 7455550464, 5), ("3B", 3227655168, 4)], "2024-12-14")
    b += s("falcon-mamba", "tiiuae", "falcon-mamba-{s}", [("7b", 7272665088, 4)], "2024-07-16")
    # BigScience
    b += s(
        "bloom",
        "bigscience",
        "bloom-{s}",
        [
            ("560m", 559214592, 7),
            ("1b1", 1065314304, 5),
            ("1b7", 1722408960, 5),
            ("3b", 3002557440, 5),
            ("7b1", 7069016064, 5),
        ],
        "2022-05-19",
    )
    b += [Base("bigscience/bloom", "bloom", "", 176247271424, "2022-05-19", 5)]
    b += s("bloom", "bigscience", "bloomz-{s}", [("560m", 559214592, 5), ("7b1", 7069016064, 4)], "2022-10-08")
    # Meta (FAIR)
    b += s(
        "opt",
        "facebook",
        "opt-{s}",
        [
            ("125m", 125239296, 8),
            ("350m", 331196416, 6),
            ("1.3b", 1315758080, 6),
            ("2.7b", 2651596800, 5),
            ("6.7b", 6658473984, 5),
            ("13b", 12853473280, 4),
            ("30b", 29974032384, 3),
            ("66b", 65716850688, 3),
        ],
        "2022-05-11",
    )
    b += s(
        "galactica",
        "facebook",
        "galactica-{s}",
        [("125m", 125000000, 3), ("1.3b", 1315000000, 3), ("6.7b", 6658000000, 3)],
        "2022-11-16",
    )
    b += [
        Base("facebook/bart-large-mnli", "bart", "", 407344133, "2020-03-02", 7),
        Base("FacebookAI/roberta-base", "roberta", "", 124697433, "2019-08-05", 8),
        Base("cardiffnlp/twitter-roberta-base-sentiment-latest", "roberta", "", 124647939, "2022-03-15", 7),
    ]
    # DeepSeek
    b += s("deepseek", "deepseek-ai", "deepseek-llm-{s}-base", [("7b", 6910365696, 5)], "2023-11-29")
    b += s(
        "deepseek",
        "deepseek-ai",
        "deepseek-llm-{s}-chat",
        [("7b", 6910365696, 5), ("67b", 67425755136, 3)],
        "2023-11-29",
    )
    b += s(
        "deepseek-coder",
        "deepseek-ai",
        "deepseek-coder-{s}-instruct",
        [("1.3b", 1346471936, 6), ("6.7b", 6740512768, 6), ("33b", 33341423616, 4)],
        "2023-10-29",
    )
    b += [
        Base("deepseek-ai/DeepSeek-V2-Lite-Chat", "deepseek-v2", "", 15706484224, "2024-05-15", 4),
        Base("deepseek-ai/DeepSeek-V3", "deepseek-v3", "", 684531386000, "2024-12-25", 7),
        Base("deepseek-ai/DeepSeek-R1", "deepseek-v3", "", 684531386000, "2025-01-20", 9),
        Base("deepseek-ai/DeepSeek-V3-0324", "deepseek-v3", "", 684531386000, "2025-03-24", 6),
        Base("deepseek-ai/DeepSeek-R1-0528", "deepseek-v3", "", 684531386000, "2025-05-28", 7),
    ]
    b += s(
        "r1-distill-qwen",
        "deepseek-ai",
        "DeepSeek-R1-Distill-Qwen-{s}",
        [("1.5B", 1777088000, 8), ("7B", 7615616512, 8)],
        "2025-01-20",
        parent="Qwen/Qwen2.5-Math-{s}",
    )
    b += s(
        "r1-distill-qwen",
        "deepseek-ai",
        "DeepSeek-R1-Distill-Qwen-{s}",
        [("14B", 14770033664, 7), ("32B", 32763876352, 7)],
        "2025-01-20",
        parent="Qwen/Qwen2.5-{s}",
    )
    b += [
        Base(
            "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
            "r1-distill-llama",
            "8B",
            8030261248,
            "2025-01-20",
            7,
            "meta-llama/Llama-3.1-8B",
        ),
        Base(
            "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            "r1-distill-llama",
            "70B",
            70553706496,
            "2025-01-20",
            6,
            "meta-llama/Llama-3.3-70B-Instruct",
        ),
    ]
    # 01.AI
    b += s("yi", "01-ai", "Yi-{s}", [("6B", 6061035520, 5), ("34B", 34388917248, 5)], "2023-11-01")
    b += s("yi", "01-ai", "Yi-{s}-Chat", [("6B", 6061035520, 4), ("34B", 34388917248, 5)], "2023-11-22")
    b += s("yi", "01-ai", "Yi-1.5-{s}-Chat", [("9B", 8829407232, 5), ("34B", 34388917248, 4)], "2024-05-10")
    # BigCode
    b += [Base("bigcode/starcoder", "starcoder", "", 15517462528, "2023-05-04", 6, gated=True)]
    b += s(
        "starcoder",
        "bigcode",
        "starcoderbase-{s}",
        [("1b", 1136951296, 5), ("7b", 7327263744, 4)],
        "2023-05-04",
        gated=True,
    )
    b += s(
        "starcoder2",
        "bigcode",
        "starcoder2-{s}",
        [("3b", 3030371328, 5), ("7b", 7173923840, 4), ("15b", 15957889024, 4)],
        "2024-02-20",
    )
    # Small models
    b += s("tinyllama", "TinyLlama", "TinyLlama-{s}-Chat-v1.0", [("1.1B", 1100048384, 9)], "2023-12-30")
    b += s(
        "tinyllama", "TinyLlama", "TinyLlama-{s}-intermediate-step-1431k-3T", [("1.1B", 1100048384, 6)], "2023-12-28"
    )
    b += s(
        "smollm",
        "HuggingFaceTB",
        "SmolLM-{s}",
        [("135M", 134515008, 5), ("360M", 361821120, 4), ("1.7B", 1711376384, 4)],
        "2024-07-14",
    )
    b += s(
        "smollm",
        "HuggingFaceTB",
        "SmolLM2-{s}-Instruct",
        [("135M", 134515008, 7), ("360M", 361821120, 6), ("1.7B", 1711376384, 7)],
        "2024-10-31",
    )
    b += s("smollm3", "HuggingFaceTB", "SmolLM3-{s}", [("3B", 3075098624, 6)], "2025-07-08")
    b += s("olmo", "allenai", "OLMo-{s}-hf", [("1B", 1176764416, 4), ("7B", 6888095744, 4)], "2024-04-12")
    b += s(
        "olmo", "allenai", "OLMo-2-1124-{s}-Instruct", [("7B", 7298617344, 5), ("13B", 13716263936, 4)], "2024-11-25"
    )
    b += s("olmoe", "allenai", "OLMoE-{s}-0924", [("1B-7B", 6919161856, 4)], "2024-09-03")
    b += s("mpt", "mosaicml", "mpt-{s}", [("7b", 6649286656, 6), ("30b", 29958018048, 4)], "2023-05-05")
    b += s("mpt", "mosaicml", "mpt-{s}-instruct", [("7b", 6649286656, 6)], "2023-05-05")
    b += s("mpt", "mosaicml", "mpt-{s}-chat", [("7b", 6649286656, 5)], "2023-05-05")
    b += s("solar", "upstage", "SOLAR-{s}-v1.0", [("10.7B", 10731524096, 6)], "2023-12-12")
    b += s("solar", "upstage", "SOLAR-{s}-Instruct-v1.0", [("10.7B", 10731524096, 7)], "2023-12-12")
    b += s("stablelm", "stabilityai", "stablelm-3b-4e1t", [("", 2795443200, 5)], "2023-09-29")
    b += s("stablelm", "stabilityai", "stablelm-2-{s}", [("1_6b", 1644515328, 5)], "2024-01-18")
    b += s("stablelm", "stabilityai", "stablelm-zephyr-{s}", [("3b", 2795443200, 5)], "2023-12-07")
    # Well-known community fine-tunes that are bases of their own trees
    b += s("vicuna", "lmsys", "vicuna-{s}-v1.5", [("7b", 6738415616, 7), ("13b", 13015864320, 5)], "2023-07-29")
    b += s(
        "zephyr",
        "HuggingFaceH4",
        "zephyr-{s}-beta",
        [("7b", 7241732096, 8)],
        "2023-10-26",
        parent="mistralai/Mistral-7B-v0.1",
    )
    b += s(
        "hermes",
        "teknium",
        "OpenHermes-2.5-Mistral-{s}",
        [("7B", 7241732096, 7)],
        "2023-10-29",
        parent="mistralai/Mistral-7B-v0.1",
    )
    b += s(
        "openorca",
        "Open-Orca",
        "Mistral-{s}-OpenOrca",
        [("7B", 7241732096, 6)],
        "2023-09-29",
        parent="mistralai/Mistral-7B-v0.1",
    )
    b += [
        Base(
            "NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO",
            "mixtral",
            "8x7B",
            46702792704,
            "2024-01-11",
            6,
            "mistralai/Mixtral-8x7B-v0.1",
        ),
        Base(
            "NousResearch/Hermes-3-Llama-3.1-8B",
            "llama3.1",
            "8B",
            8030261248,
            "2024-07-28",
            7,
            "meta-llama/Llama-3.1-8B",
        ),
        Base(
            "cognitivecomputations/dolphin-2.9-llama3-8b",
            "llama3",
            "8b",
            8030261248,
            "2024-04-20",
            6,
            "meta-llama/Meta-Llama-3-8B",
        ),
        Base(
            "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
            "nemotron",
            "70B",
            70553706496,
            "2024-10-12",
            6,
            "meta-llama/Llama-3.1-70B-Instruct",
        ),
        Base("CohereForAI/c4ai-command-r-v01", "command-r", "", 34980831232, "2024-03-11", 6),
        Base("CohereForAI/aya-23-8B", "command-r", "8B", 8028033024, "2024-05-19", 5),
        Base("internlm/internlm2_5-7b-chat", "internlm", "7b", 7737708544, "2024-06-27", 5),
        Base("THUDM/chatglm3-6b", "glm", "6b", 6243584000, "2023-10-25", 6),
        Base("THUDM/glm-4-9b-chat", "glm", "9b", 9399951360, "2024-06-04", 6),
        Base("ibm-granite/granite-3.0-8b-instruct", "granite", "8b", 8170848256, "2024-10-02", 5),
        Base("ibm-granite/granite-3.3-8b-instruct", "granite", "8b", 8170848256, "2025-04-14", 5),
        Base("openai/gpt-oss-20b", "gpt-oss", "20b", 21511953984, "2025-08-04", 9),
        Base("openai/gpt-oss-120b", "gpt-oss", "120b", 120412337472, "2025-08-04", 8),
        Base("llava-hf/llava-1.5-7b-hf", "llava", "7b", 7063427072, "2023-12-05", 6),
        Base("sentence-transformers/all-mpnet-base-v2", "mpnet", "", 109486978, "2021-08-30", 8),
        Base("BAAI/bge-base-en-v1.5", "bge", "", 109482240, "2023-09-11", 7),
        Base("openai/whisper-large-v3", "whisper", "", 1543490560, "2023-11-07", 8),
    ]
    # Other tasks (parameter counts from their safetensors or model cards, rounded where not known)
    b += [
        Base("google-bert/bert-base-cased", "bert", "", 108340804, "2018-11-14", 7),
        Base("google-bert/bert-base-multilingual-cased", "bert", "", 178566653, "2018-11-30", 7),
        Base("distilbert/distilbert-base-uncased", "distilbert", "", 66985530, "2019-10-02", 9),
        Base("distilbert/distilbert-base-multilingual-cased", "distilbert", "", 134734080, "2019-11-25", 6),
        Base("FacebookAI/xlm-roberta-base", "xlm-roberta", "", 278295186, "2019-12-13", 9),
        Base("FacebookAI/xlm-roberta-large", "xlm-roberta", "", 560142482, "2019-12-13", 7),
        Base("microsoft/deberta-v3-base", "deberta", "", 184422912, "2021-11-18", 7),
        Base("microsoft/mdeberta-v3-base", "deberta", "", 278218752, "2021-11-18", 6),
        Base("google-t5/t5-small", "t5", "", 60506624, "2019-10-24", 8),
        Base("google-t5/t5-base", "t5", "", 222903552, "2019-10-24", 7),
        Base("facebook/bart-large-cnn", "bart", "", 406290432, "2020-03-02", 7),
        Base("Helsinki-NLP/opus-mt-en-de", "marian", "", 74410496, "2020-05-14", 7),
        Base("Helsinki-NLP/opus-mt-zh-en", "marian", "", 77943296, "2020-05-14", 7),
        Base("sentence-transformers/all-MiniLM-L6-v2", "minilm", "", 22713216, "2021-08-30", 10),
        Base("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", "minilm", "", 117653760, "2021-06-22", 7),
        Base("BAAI/bge-m3", "bge", "", 567754752, "2024-01-27", 8),
        Base("microsoft/resnet-50", "vit", "", 25557032, "2022-03-16", 8),
        Base("google/vit-base-patch16-224-in21k", "vit", "", 86389248, "2021-03-24", 8),
        Base("openai/clip-vit-base-patch32", "clip", "", 151277313, "2021-01-07", 9),
        Base("openai/clip-vit-large-patch14", "clip", "", 427616513, "2021-01-07", 9),
        Base("facebook/detr-resnet-50", "detr", "", 41631008, "2020-06-05", 8),
        Base("nvidia/segformer-b0-finetuned-ade-512-512", "segformer", "", 3752694, "2021-10-28", 6),
        Base("facebook/dinov2-base", "dinov2", "", 86580480, "2023-07-17", 7),
        Base("Salesforce/blip-image-captioning-large", "blip", "", 469733810, "2022-12-13", 8),
        Base("CompVis/stable-diffusion-v1-4", "sd", "", 859520964, "2022-08-10", 8),
        Base("runwayml/stable-diffusion-v1-5", "sd", "", 859520964, "2022-10-20", 9),
        Base("stabilityai/stable-diffusion-xl-base-1.0", "sdxl", "", 2567463684, "2023-07-25", 9),
        Base("black-forest-labs/FLUX.1-dev", "flux", "", 11901408320, "2024-07-31", 9, gated=True),
        Base("black-forest-labs/FLUX.1-schnell", "flux", "", 11901408320, "2024-07-31", 8),
        Base("openai/whisper-small", "whisper", "", 241734912, "2022-09-26", 8),
        Base("facebook/wav2vec2-base-960h", "wav2vec2", "", 94396320, "2021-03-02", 8),
        Base("facebook/wav2vec2-large-xlsr-53", "wav2vec2", "", 315438720, "2021-03-02", 7),
        Base("microsoft/speecht5_tts", "speecht5", "", 144433921, "2023-02-02", 6),
    ]
    return b


BASES: tuple[Base, ...] = tuple(_build_bases())

# --------------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantizer:
    account: str
    formats: tuple[str, ...]  # keys of QUANT_FORMATS
    active: tuple[str, str]  # first and last day of activity (the real accounts' eras)
    weight: float  # share of all quantized repos by known accounts
    style: str = "keep"  # keep | camel (TheBloke) | erkhov (RichardErkhov's owner_-_name)


QUANTIZERS: tuple[Quantizer, ...] = (
    Quantizer("TheBloke", ("gguf", "gptq", "awq", "ggml"), ("2023-03-20", "2024-02-01"), 3.0, "camel"),
    Quantizer("bartowski", ("gguf", "exl2"), ("2024-01-15", "2026-11-01"), 3.0),
    Quantizer("mradermacher", ("gguf", "gguf-i1"), ("2024-03-01", "2026-11-01"), 5.0),
    Quantizer("unsloth", ("bnb", "gguf"), ("2024-01-10", "2026-11-01"), 2.0),
    Quantizer("mlx-community", ("mlx",), ("2023-12-20", "2026-11-01"), 2.0),
    Quantizer("QuantFactory", ("gguf",), ("2024-04-01", "2025-06-01"), 1.5),
    Quantizer("lmstudio-community", ("gguf",), ("2024-04-15", "2026-11-01"), 1.0),
    Quantizer("MaziyarPanahi", ("gguf",), ("2024-01-01", "2026-11-01"), 1.0),
    Quantizer("second-state", ("gguf",), ("2023-11-01", "2026-11-01"), 0.5),
    Quantizer("RichardErkhov", ("bnb-erkhov", "gguf-erkhov"), ("2024-05-01", "2025-12-01"), 2.0, "erkhov"),
    Quantizer("LoneStriker", ("exl2",), ("2023-11-01", "2024-12-01"), 0.7),
    Quantizer("neuralmagic", ("fp8", "w4a16"), ("2024-05-01", "2025-02-01"), 0.4),
    Quantizer("RedHatAI", ("fp8", "w4a16"), ("2025-02-01", "2026-11-01"), 0.4),
    Quantizer("cyankiwi", ("awq",), ("2025-06-01", "2026-11-01"), 0.5),
    Quantizer("nvidia", ("nvfp4", "fp8"), ("2025-06-01", "2026-11-01"), 0.4),
    Quantizer("unsloth", ("nvfp4", "gguf"), ("2026-01-01", "2026-11-01"), 0.6),
)


@dataclass(frozen=True)
class QuantFormat:
    since: str  # the format's first appearance on the Hub: no repo of it is older
    suffixes: tuple[str, ...]  # what uploaders append to the parent's name
    library: str  # library_name
    tags: tuple[str, ...]  # tags the Hub adds
    packed: tuple[float, float] | None  # safetensors.total as a (low, high) share of the true size; None: none


_Q = QuantFormat
QUANT_FORMATS: dict[str, QuantFormat] = {
    "gguf": _Q("2023-08-25", ("-GGUF",), "gguf", ("gguf",), None),
    "gguf-i1": _Q("2024-03-01", ("-i1-GGUF",), "gguf", ("gguf", "imatrix"), None),
    "gguf-user": _Q(
        "2023-08-25",
        ("-Q4_K_M-GGUF", "-Q8_0-GGUF", "-Q5_K_M-GGUF", "-GGUF", "-gguf", "-Q6_K-GGUF", "-q4_k_m.gguf"),
        "gguf",
        ("gguf", "llama-cpp", "gguf-my-repo"),
        None,
    ),
    "gguf-erkhov": _Q("2024-05-01", ("-gguf",), "gguf", ("gguf",), None),
    "ggml": _Q("2023-03-15", ("-GGML",), "transformers", ("ggml",), None),
    "gptq": _Q(
        "2023-04-20",
        ("-GPTQ", "-GPTQ-Int4", "-GPTQ-Int8", "-gptq-4bit", "-GPTQ-4bit-128g"),
        "transformers",
        ("4-bit", "gptq"),
        (0.16, 0.55),
    ),
    "awq": _Q("2023-09-15", ("-AWQ", "-awq", "-AWQ-INT4"), "transformers", ("4-bit", "awq"), (0.16, 0.55)),
    "exl2": _Q(
        "2023-09-20",
        ("-exl2", "-4.0bpw-exl2", "-6.0bpw-h6-exl2", "-exl2-4.65bpw", "-8.0bpw-h8-exl2"),
        "transformers",
        ("exl2",),
        None,
    ),
    "bnb": _Q(
        "2024-01-10",
        ("-bnb-4bit", "-bnb-4bit", "-unsloth-bnb-4bit"),
        "transformers",
        ("4-bit", "bitsandbytes", "unsloth"),
        (0.5, 0.6),
    ),
    "bnb-erkhov": _Q("2024-05-01", ("-4bits", "-8bits"), "transformers", ("4-bit", "bitsandbytes"), (0.5, 0.6)),
    "bnb-user": _Q(
        "2023-06-01",
        ("-4bit", "-8bit", "-bnb-4bit", "-nf4", "-int4", "-int8"),
        "transformers",
        ("4-bit", "bitsandbytes"),
        (0.5, 0.6),
    ),
    "mlx": _Q(
        "2023-12-10", ("-4bit", "-8bit", "-4bit", "-bf16", "-mlx", "-3bit", "-6bit"), "mlx", ("mlx",), (0.15, 0.3)
    ),
    "fp8": _Q(
        "2024-05-01", ("-FP8", "-FP8-dynamic", "-fp8"), "transformers", ("fp8", "compressed-tensors"), (1.0, 1.0)
    ),
    "nvfp4": _Q("2025-06-01", ("-NVFP4", "-nvfp4", "-NVFP4A16"), "transformers", ("modelopt", "nvfp4"), (0.28, 0.35)),
    "w4a16": _Q(
        "2024-06-01",
        ("-quantized.w4a16", "-W4A16", "-GPTQ-W4A16"),
        "transformers",
        ("4-bit", "compressed-tensors"),
        (0.16, 0.3),
    ),
}
# Formats random users publish, with weights
USER_QUANT_FORMATS: tuple[tuple[str, float], ...] = (
    ("gguf-user", 6.0),
    ("bnb-user", 2.0),
    ("mlx", 1.0),
    ("gptq", 1.0),
    ("awq", 1.0),
    ("exl2", 0.6),
)

# --------------------------------------------------------------------------------------------------
# Word pools for user names and user repo names
# --------------------------------------------------------------------------------------------------

# Data tables: the longest pools are kept as rows of words (the formatter would give each word its own line).
# fmt: off
HANDLE_HEADS: tuple[str, ...] = (
    "alex", "ben", "chen", "david", "emma", "hyun", "ivan", "jun", "kim", "lee", "li", "liu", "mark", "max", "min",
    "nick", "park", "raj", "sam", "sara", "tom", "wang", "yang", "zhang", "ahmed", "ali", "anna", "carlos", "diego",
    "elena", "fatima", "hiro", "jose", "kenji", "lucas", "maria", "mohamed", "nguyen", "omar", "pablo", "priya", "ravi",
    "sofia", "yuki", "arjun", "bao", "chloe", "dmitry", "eun", "felix", "gabriel", "hana", "igor", "jae", "kai", "leo",
    "mina", "noah", "olga", "pedro", "quinn", "rohan", "sven", "tariq", "uma", "victor", "wei", "xin", "yusuf", "zoe",
    "abhi", "andrea", "ayush", "bruno", "cem", "daniel", "faisal", "hamza", "jin", "kevin", "luis", "marco", "nam",
    "oscar", "paul", "rahul", "sergey", "takumi", "vikram", "walid", "yan",
)
# fmt: on
HANDLE_TAILS: tuple[str, ...] = (
    "",
    "",
    "",
    "",
    "ai",
    "ml",
    "nlp",
    "dev",
    "99",
    "42",
    "-ai",
    "_ml",
    "labs",
    "x",
    "2023",
    "hf",
    "123",
    "7",
    "kr",
    "jp",
    "0",
    "01",
    "_",
    "-lab",
    "-dev",
    "1",
    "2",
    "88",
    "-hf",
    "AI",
    "-nlp",
    "2024",
    "tech",
)
# fmt: off
ORG_WORDS: tuple[str, ...] = (
    "nova", "quantum", "deep", "open", "neural", "silicon", "cortex", "vector", "tensor", "lumen", "orbit", "pixel",
    "atlas", "sigma", "delta", "aurora", "zenith", "nimbus", "cobalt", "ember", "saffron", "maple", "lotus", "raven",
    "falcon", "cedar", "harbor", "prism", "onyx", "quill", "radiant", "summit", "tundra", "vertex", "willow", "yonder",
    "zephyrus", "kestrel", "meridian",
)
# fmt: on
ORG_TAILS: tuple[str, ...] = ("-ai", "labs", "AI", "-research", "-nlp", "-lab", "ML", "-ml", "Tech", "-org")

# fmt: off
BRANDS: tuple[str, ...] = (
    "Hermes", "Dolphin", "Nous", "Platypus", "Orca", "Zephyr", "Neural", "Wizard", "Airoboros", "Samantha", "Tulu",
    "Starling", "Einstein", "Smaug", "Sauerkraut", "Magnum", "Stheno", "Lumimaid", "Euryale", "Nox", "Bagel",
    "Marcoroni", "Kunoichi", "Noromaid", "Synatra", "Bielik", "Vikhr", "Saiga", "Llamantino", "Athene", "Calme",
    "Rombos", "Tess", "Senku", "Hercules", "Cerebrum", "Aether", "Kiwi", "Firefly", "Sakura", "Mythos", "Nymph",
    "Chronos", "Luna", "Sol", "Apollo", "Odin", "Thor", "Freya", "Atlas", "Titan", "Phoenix", "Pegasus", "Hydra",
    "Minerva", "Vesta", "Juno", "Ember", "Cinder", "Quill", "Sage", "Rune", "Echo", "Nebula", "Pulse", "Spark", "Storm",
    "Tide",
)
# fmt: on
# fmt: off
# The words derived models of the other tasks are named with, by domain (`Family.words`): their topic (also the
# "method" of the language models' templates) and their dataset. Language models use TOPICS, METHODS, DATASETS.
DOMAIN_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "text": (
        ("sentiment", "ner", "emotion", "spam", "toxicity", "news", "intent", "nli", "qa", "pos", "hate-speech",
         "fake-news", "sarcasm", "topic", "legal", "medical", "finance", "tweets", "reviews", "arabic", "turkish"),
        ("finetuned", "ft", "classifier", "cls", "sentiment", "ner", "squad2", "mnli", "base", "large"),
        ("imdb", "sst2", "squad", "conll2003", "emotion", "tweet_eval", "ag_news", "yelp", "mnli", "glue", "xnli",
         "amazon-reviews", "cola", "wnut17", "financial-phrasebank", "xsum", "cnn-dailymail", "kde4", "wikiann"),
    ),
    "embed": (
        ("legal", "medical", "code", "finance", "retrieval", "multilingual", "arabic", "german", "search", "faq",
         "patents", "products", "scientific", "matryoshka"),
        ("ft", "finetuned", "embeddings", "embed", "retriever", "st", "v1", "v2"),
        ("msmarco", "nli", "stsb", "quora", "natural-questions", "squad", "gooaq", "allnli", "trivia-qa"),
    ),
    "image": (
        ("food", "plants", "xray", "skin-lesion", "fashion", "cars", "faces", "waste", "birds", "flowers", "brain-tumor",
         "weeds", "fruits", "documents", "satellite", "pets", "emotions", "signs", "deepfake", "nsfw"),
        ("finetuned", "ft", "classifier", "detector", "base", "v1", "v2"),
        ("food101", "cifar10", "cifar100", "beans", "eurosat", "imagenet", "cats-vs-dogs", "chest-xray", "mnist",
         "coco", "ade20k", "cppe-5", "oxford-pets", "flowers102"),
    ),
    "art": (
        ("anime", "realistic", "pixel-art", "watercolor", "portrait", "photoreal", "cartoon", "3d", "logo", "style",
         "fantasy", "cyberpunk", "chibi", "sketch", "ghibli", "comic", "interior", "product", "tattoo", "icons"),
        ("lora", "dreambooth", "style", "v1", "v2", "xl", "turbo", "lightning", "mix", "merge"),
        ("anime", "pokemon", "naruto", "lineart", "fashion", "pixel", "dog", "cat", "car", "face"),
    ),
    "speech": (
        ("hindi", "turkish", "arabic", "swahili", "persian", "japanese", "korean", "german", "urdu", "vietnamese",
         "bengali", "tamil", "dutch", "polish", "indonesian", "thai", "yoruba", "greek", "ukrainian", "welsh"),
        ("ft", "finetuned", "asr", "ctc", "lm", "v1", "v2", "tts"),
        ("common_voice", "common-voice-11", "librispeech", "fleurs", "timit", "voxpopuli", "minds14", "gtzan"),
    ),
}

TOPICS: tuple[str, ...] = (
    "medical", "med", "law", "legal", "finance", "code", "math", "chat", "roleplay", "rp", "story", "sql",
    "function-calling", "reasoning", "cot", "summarization", "translation", "qa", "instruct", "uncensored",
    "abliterated", "alpaca", "orca", "dolly", "guanaco", "sharegpt", "ultrachat", "openhermes", "gsm8k", "tool-use",
    "bio", "chem", "poetry", "lyrics", "recipes", "tweets", "news", "essay", "python", "javascript", "korean",
    "japanese", "chinese", "arabic", "persian", "hindi", "german", "french", "spanish", "customer-support", "sentiment",
    "ner", "empathetic", "therapy", "tutor", "science", "physics", "history",
)
# fmt: on
METHODS: tuple[str, ...] = (
    "sft",
    "dpo",
    "orpo",
    "kto",
    "simpo",
    "grpo",
    "rlhf",
    "ppo",
    "ft",
    "finetuned",
    "tuned",
    "distilled",
    "SFT",
    "DPO",
    "instruct",
    "chat",
    "it",
    "merged",
    "lora-merged",
)
LANGS: tuple[str, ...] = (
    "ko",
    "ja",
    "zh",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "ru",
    "ar",
    "tr",
    "vi",
    "th",
    "id",
    "hi",
    "pl",
    "nl",
    "he",
    "fa",
    "uk",
    "ko",
    "ko",
    "ja",
    "zh",
)
VERSIONS: tuple[str, ...] = (
    "v0.1",
    "v0.2",
    "v1",
    "v1.0",
    "v1.1",
    "v2",
    "v2.0",
    "v3",
    "v0.3",
    "v1.5",
    "v2.1",
    "V2",
    "v4",
    "2407",
    "2501",
    "0924",
    "1124",
    "v0.5",
    "v1.2",
    "v5",
)
DATASETS: tuple[str, ...] = (
    "wikitext2",
    "imdb",
    "squad",
    "alpaca",
    "shakespeare",
    "tweets",
    "eli5",
    "openassistant",
    "dolly15k",
    "gsm8k",
    "code_alpaca",
    "samsum",
    "wikitext",
    "cnn",
    "poems",
    "reddit",
    "sst2",
    "emotion",
    "yelp",
    "ag_news",
)
JUNK: tuple[str, ...] = (
    "test",
    "my_model",
    "my-model",
    "model",
    "results",
    "outputs",
    "output",
    "test-model",
    "my_awesome_model",
    "checkpoint",
    "trained_model",
    "final_model",
    "demo",
    "experiment",
    "new_model",
    "model_v2",
    "test_trainer",
    "tmp",
    "llm",
    "chatbot",
    "bot",
    "assistant",
)
MERGE_METHODS: tuple[str, ...] = (
    "slerp",
    "ties",
    "dare-ties",
    "dare_ties",
    "della",
    "task-arithmetic",
    "model_stock",
    "merge",
    "Merge",
    "passthrough",
    "breadcrumbs",
)
# Accounts that publish thousands of name-only fine-tunes (the real huggingtweets / huggingartists pattern)
# Trainer and tutorial defaults, most common first (unsloth saves `lora_model`, the HF course `my_awesome_model`)
TUTORIAL_NAMES: tuple[str, ...] = (
    "test", "lora_model", "outputs", "my_awesome_model", "results", "model", "output", "test-model", "my_model",
    "checkpoints", "trained_model", "fine_tuned_model", "new_model", "sft_model", "merged_model", "finetuned_model",
)  # fmt: skip
BULK_ACCOUNTS: tuple[str, ...] = ("huggingtweets", "huggingartists", "NasimB", "trl-internal-testing")

LICENSES_OTHER: tuple[str, ...] = (
    "apache-2.0",
    "apache-2.0",
    "apache-2.0",
    "mit",
    "mit",
    "cc-by-nc-4.0",
    "other",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-sa-4.0",
    "openrail",
    "gpl-3.0",
    "unknown",
    "bsd-3-clause",
)
LANG_TAGS: tuple[str, ...] = ("en", "en", "en", "en", "ko", "zh", "ja", "de", "fr", "es", "multilingual")
