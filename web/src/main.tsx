import { LatchkeyProvider } from '@latchkey/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { latchkey } from './auth/latchkey';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LatchkeyProvider client={latchkey}>
      <App />
    </LatchkeyProvider>
  </StrictMode>,
);
