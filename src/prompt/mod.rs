//! What reaches a model or a person: the tools as listed (`disclosure`),
//! learned result types (`shapes`), untrusted text made safe and comparable
//! (`prompt_text`, `visible`, `spelling`), and token counts (`tokens`).

pub(crate) mod disclosure;
pub(crate) mod prompt_text;
pub mod shapes;
pub(crate) mod spelling;
pub mod tokens;
pub(crate) mod visible;
