// Input parsing lives in model/; this path stays for pipelines/ until it imports model/.
export * from '../model/validation.js';
