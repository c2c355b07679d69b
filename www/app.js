// Loads the chat page's Rust code (examples/chat/), which wires up the DOM.
import init from "./pkg/chat.js";
await init();
