/** Types of scripts/chromium.mjs (Debian's Chromium path and its WebGPU flags). */
export declare const chromiumPath: () => string;
export declare const chromiumArgs: string[];
