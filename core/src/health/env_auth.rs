//! Credentials that come from the environment instead of a stored profile, and provider
//! aliases used for credential lookup.
//!
//! Tables of OpenClaw 2026.9.6's bundled plugins: `src/secrets/provider-env-vars.ts`
//! (`providerAuthEnvVars` + `CORE_PROVIDER_AUTH_ENV_VAR_CANDIDATES`) and
//! `src/agents/provider-auth-aliases.ts` (manifest `providerAuthAliases` and
//! `providerAuthChoices[].deprecatedChoiceIds`). A non-bundled plugin can extend them; such
//! providers fall through to "only the CLI knows" where it matters.

/// Env vars that authenticate a provider, first non-blank wins.
const ENV_VARS: &[(&str, &[&str])] = &[
    ("anthropic", &["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"]),
    (
        "claude-cli",
        &["ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"],
    ),
    ("anthropic-openai", &["ANTHROPIC_API_KEY"]),
    ("openai", &["CODEX_API_KEY", "OPENAI_API_KEY"]),
    ("google", &["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
    ("google-vertex", &["GOOGLE_CLOUD_API_KEY"]),
    ("openrouter", &["OPENROUTER_API_KEY"]),
    ("xai", &["XAI_API_KEY"]),
    ("x-ai", &["XAI_API_KEY"]),
    (
        "minimax",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-cn",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-api",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-api-key-cn",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-api-lightning",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-cloud",
        &[
            "MINIMAX_CODE_PLAN_KEY",
            "MINIMAX_CODING_API_KEY",
            "MINIMAX_API_KEY",
        ],
    ),
    (
        "minimax-portal",
        &["MINIMAX_OAUTH_TOKEN", "MINIMAX_API_KEY"],
    ),
    (
        "minimax-portal-cn",
        &["MINIMAX_OAUTH_TOKEN", "MINIMAX_API_KEY"],
    ),
    (
        "alibaba",
        &["MODELSTUDIO_API_KEY", "DASHSCOPE_API_KEY", "QWEN_API_KEY"],
    ),
    ("qwen-dashscope", &["DASHSCOPE_API_KEY"]),
    ("github-copilot", &["COPILOT_GITHUB_TOKEN"]),
    ("huggingface", &["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"]),
    ("microsoft-foundry", &["AZURE_OPENAI_API_KEY"]),
    ("ollama", &["OLLAMA_API_KEY"]),
    ("ollama-cloud", &["OLLAMA_API_KEY"]),
    ("opencode-go", &["OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"]),
    ("cerebras", &["CEREBRAS_API_KEY"]),
    ("clawrouter", &["CLAWROUTER_API_KEY"]),
    ("deepgram", &["DEEPGRAM_API_KEY"]),
    ("litellm", &["LITELLM_API_KEY"]),
    ("lmstudio", &["LM_API_TOKEN"]),
    ("nvidia", &["NVIDIA_API_KEY"]),
    ("sglang", &["SGLANG_API_KEY"]),
    ("together", &["TOGETHER_API_KEY"]),
    ("vllm", &["VLLM_API_KEY"]),
    ("voyage", &["VOYAGE_API_KEY"]),
    ("senseaudio", &["SENSEAUDIO_API_KEY"]),
    ("elevenlabs", &["ELEVENLABS_API_KEY", "XI_API_KEY"]),
    ("fal", &["FAL_KEY", "FAL_API_KEY"]),
    ("runway", &["RUNWAYML_API_SECRET", "RUNWAY_API_KEY"]),
];

/// The env vars that authenticate `provider` (in precedence order).
pub fn env_vars_for(provider: &str) -> &'static [&'static str] {
    ENV_VARS
        .iter()
        .find(|(p, _)| *p == provider)
        .map_or(&[], |(_, v)| v)
}

/// Whether a bare string is a known credential env var name (stored values equal to such a name
/// are read as "use that variable").
pub fn is_known_env_var(name: &str) -> bool {
    ENV_VARS.iter().any(|(_, v)| v.contains(&name))
}

/// `resolveProviderIdForAuth`: the provider whose credentials serve `provider`.
pub fn auth_provider(provider: &str) -> &str {
    match provider {
        "claude-cli" => "anthropic",
        "x-ai" => "xai",
        "minimax-cn"
        | "minimax-api"
        | "minimax-cloud"
        | "minimax-api-lightning"
        | "minimax-api-key-cn" => "minimax",
        "minimax-portal-cn" => "minimax-portal",
        other => other,
    }
}

/// Providers whose plugins can supply credentials at runtime ("synthetic auth"), which only the
/// running CLI can evaluate (`syntheticAuthRefs`).
pub fn has_synthetic_auth(provider: &str) -> bool {
    matches!(
        provider,
        "claude-cli" | "apple-fm" | "lmstudio" | "ollama" | "xai"
    )
}

/// `resolveCliRuntimeExecutionProvider` bindings: model provider → its CLI backend runtime.
pub fn cli_runtime_of(provider: &str) -> Option<&'static str> {
    match provider {
        "anthropic" => Some("claude-cli"),
        "google" => Some("google-gemini-cli"),
        _ => None,
    }
}

/// The default utility model of a provider (`modelCatalog.providers.<id>.defaultUtilityModel`
/// in the bundled manifests).
pub fn default_utility_model(provider: &str) -> Option<&'static str> {
    match provider {
        "anthropic" => Some("claude-haiku-4-5"),
        "openai" => Some("gpt-5.6-luna"),
        _ => None,
    }
}

/// Cooldowns are ignored for these providers (`usage-state.ts`).
pub fn ignores_cooldowns(provider: &str) -> bool {
    matches!(provider, "openrouter" | "kilocode")
}
