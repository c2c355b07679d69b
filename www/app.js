// Loads the chat page's Rust code (www/chat/), which wires up the DOM.
import init from "./pkg/chat.js";
await init();
