// Loads the echo page's Rust code (examples/echo.rs), which wires up the DOM.
import init from "./pkg/echo.js";
await init();
