// Loads the echo page's Rust code (www/echo/main.rs), which wires up the DOM.
import init from "./pkg/echo.js";
await init();
