// Loads the Yew echo console's Rust code (hooks/yew/examples/echo.rs), which renders the page.
import init from "./pkg/yew_echo.js";
await init();
