// Loads the Leptos echo console's Rust code (hooks/leptos/examples/echo.rs), which renders the page.
import init from "./pkg/leptos_echo.js";
await init();
